// The resolver's worker threads under contention (run under the tsan preset): many callers at
// once, some abandoning slow lookups, some getting answers; the thread bound always holds and
// every worker ends.
#include <gtest/gtest.h>
#include <netdb.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "net/resolver_testing.hpp"
#include "sockit/net/resolver.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

// Takes 100 ms, then answers 127.0.0.1.
int slow_getaddrinfo(const char*, const char* service, const addrinfo* hints, addrinfo** result) {
  std::this_thread::sleep_for(100ms);
  addrinfo numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  numeric.ai_family = AF_INET;
  return ::getaddrinfo("127.0.0.1", service, &numeric, result);
}

TEST(ResolverThreads, ManyCallersRespectTheBoundAndAllWorkersEnd) {
  detail::set_getaddrinfo_for_testing(slow_getaddrinfo);
  constexpr int kCallers = 8;
  constexpr int kEach = 6;
  std::atomic<int> answered{0}, timed_out{0}, other{0};
  std::atomic<std::size_t> most_alive{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Odd callers give up at 20 ms (abandoning), even ones wait long enough for an answer.
        const auto wait = (t % 2 == 1) ? Millis(20) : Millis(5000);
        auto r = resolve("slow.example", "80", {.deadline = Deadline::after(wait)});
        if (r) {
          ++answered;
        } else if (r.error() == Errc::resolve_timed_out) {
          ++timed_out;
        } else {
          ++other;
        }
        std::size_t alive = detail::lookup_threads_alive();
        std::size_t seen = most_alive.load();
        while (alive > seen && !most_alive.compare_exchange_weak(seen, alive)) {
        }
      }
    });
  }
  for (auto& c : callers)
    c.join();
  EXPECT_EQ(answered.load(), kCallers / 2 * kEach);
  EXPECT_EQ(timed_out.load(), kCallers / 2 * kEach);
  EXPECT_EQ(other.load(), 0);
  EXPECT_LE(most_alive.load(), kMaxLookupThreads);
  for (int i = 0; i < 300 && detail::lookup_threads_alive() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(detail::lookup_threads_alive(), 0u);
  detail::set_getaddrinfo_for_testing(nullptr);
}

}  // namespace
}  // namespace sockit
