// The deadline sweep closes expired connections in bounded batches (issue 18: 5,000 idle
// connections expiring in one sweep stalled the loop 60-126 ms). Drives the internal Reactor
// directly, one loop turn at a time, so that what one sweep and each later turn did is counted
// exactly rather than guessed from timings.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "server/reactor.hpp"
#include "sockit/services/services.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

struct SweepFixture {
  std::unique_ptr<EventLoop> loop = *EventLoop::create();
  std::unique_ptr<Service> service = make_echo_service();
  ServerOptions options = [] {
    ServerOptions o;
    o.connection.idle_timeout = 1ms;
    return o;
  }();
  ServeContext ctx{service.get(), options};
  Reactor reactor{ctx, *loop};
  std::vector<UniqueFd> peers;

  void add(int n) {
    for (int i = 0; i < n; ++i) {
      int sv[2];
      ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
      ctx.live.fetch_add(1);
      reactor.adopt(UniqueFd(sv[0]), "unix");
      peers.emplace_back(sv[1]);
    }
  }
  // Runs exactly one loop turn (timers due now fire, then the loop stops).
  void one_turn() {
    loop->run_after(Clock::duration::zero(), [this] { loop->stop(); });
    ASSERT_TRUE(loop->run());
  }
  std::size_t closing() const {
    std::size_t n = 0;
    for (const auto& [id, conn] : reactor.conns)
      n += conn->closing() ? 1u : 0u;
    return n;
  }
  ~SweepFixture() { reactor.clear(); }
};

TEST(Sweep, ExpiresAtMostOneBatchPerTurnAndTheRestFollow) {
  SweepFixture f;
  f.reactor.expire_batch = 10;
  f.add(35);
  std::this_thread::sleep_for(5ms);
  f.one_turn();  // the loop's cached time now lies past every idle deadline
  ASSERT_EQ(f.closing(), 0u);

  f.reactor.check_deadlines();
  EXPECT_EQ(f.closing(), 10u) << "one sweep closed more than its batch";
  EXPECT_EQ(f.reactor.expiring.size(), 25u);
  f.reactor.check_deadlines();  // a sweep while expiries are pending adds nothing
  EXPECT_EQ(f.closing(), 10u);
  EXPECT_EQ(f.reactor.expiring.size(), 25u);

  for (std::size_t want : {20u, 30u, 35u}) {
    f.one_turn();
    EXPECT_EQ(f.closing(), want);
  }
  EXPECT_TRUE(f.reactor.expiring.empty());
  EXPECT_EQ(f.reactor.expire_next, 0u) << "no further turn should be scheduled";

  // Every peer got the explanation, whichever batch closed it.
  for (auto& p : f.peers) {
    char buf[64] = {};
    const ssize_t n = ::recv(p.get(), buf, sizeof buf, 0);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "ERR idle timeout\n");
  }
}

// The default batch is what the server uses: a sweep of 5,000 expired connections closes 256
// per turn, not all at once.
TEST(Sweep, DefaultBatchBoundsOneSweep) {
  rlimit lim{};  // 1,200 socketpair ends: more than a 1,024 soft limit allows
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur < 2048 && lim.rlim_max >= 2048) {
    lim.rlim_cur = 2048;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);
  }
  SweepFixture f;
  f.add(600);
  std::this_thread::sleep_for(5ms);
  f.one_turn();
  f.reactor.check_deadlines();
  EXPECT_EQ(f.closing(), Reactor::kExpireBatch);
  f.one_turn();
  EXPECT_EQ(f.closing(), 2 * Reactor::kExpireBatch);
  f.one_turn();
  EXPECT_EQ(f.closing(), 600u);
}

}  // namespace
}  // namespace sockit
