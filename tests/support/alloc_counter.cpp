// The counting global operator new declared by alloc_counter.hpp. Built as its own object
// library (see tests/CMakeLists.txt) and linked only into the tests that count allocations.
#include "support/alloc_counter.hpp"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> g_allocations{0};
std::atomic<long long> g_live{0};

long long usable(void* p) noexcept {
  return static_cast<long long>(::malloc_usable_size(p));
}
}  // namespace

std::size_t sockit::test::allocation_count() noexcept {
  return g_allocations.load(std::memory_order_relaxed);
}

long long sockit::test::live_bytes() noexcept {
  return g_live.load(std::memory_order_relaxed);
}

// Replacing new/delete with malloc/free is the standard way to count; GCC's
// -Wmismatched-new-delete cannot see that these replacements pair malloc with free.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    g_live.fetch_add(usable(p), std::memory_order_relaxed);
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  g_live.fetch_sub(usable(p), std::memory_order_relaxed);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  g_live.fetch_sub(usable(p), std::memory_order_relaxed);
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
