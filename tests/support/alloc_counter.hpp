// A counting replacement of the global operator new, for tests that assert "no heap allocation
// in the steady state" or bound the memory an object keeps. The replacement lives in
// alloc_counter.cpp, which is NOT part of sockit_test_support: a program may replace operator new
// only once, so tests/CMakeLists.txt links that file only into the executables listed in
// SOCKIT_ALLOC_COUNTED_TESTS.
#pragma once

#include <cstddef>

namespace sockit::test {

/// Global allocations (calls of the replaced operator new) made so far by this program, on any
/// thread. Take the difference of two readings around the code under test.
std::size_t allocation_count() noexcept;

/// Heap bytes held right now through the replaced operator new (usable sizes, as malloc rounds
/// them), on any thread: the difference of two readings is what the code between them kept.
long long live_bytes() noexcept;

}  // namespace sockit::test
