#include "sockit/core/buffer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sockit {
namespace {

// Checks the drawn invariant: prependable + readable + writable == capacity.
void expect_invariant(const Buffer& b) {
  EXPECT_EQ(b.prependable_bytes() + b.readable_bytes() + b.writable_bytes(), b.capacity());
}

TEST(Buffer, FreshBufferLayout) {
  Buffer b(100);
  EXPECT_EQ(b.capacity(), Buffer::kCheapPrepend + 100);
  EXPECT_EQ(b.prependable_bytes(), Buffer::kCheapPrepend);
  EXPECT_EQ(b.readable_bytes(), 0u);
  EXPECT_EQ(b.writable_bytes(), 100u);
  EXPECT_TRUE(b.empty());
  expect_invariant(b);
}

TEST(Buffer, AppendPeekConsume) {
  Buffer b(16);
  b.append(std::string_view("hello world"));
  EXPECT_EQ(b.view(), "hello world");
  EXPECT_EQ(b.readable_bytes(), 11u);
  EXPECT_EQ(b.writable_bytes(), 5u);
  b.consume(6);
  EXPECT_EQ(b.view(), "world");
  EXPECT_EQ(b.prependable_bytes(), Buffer::kCheapPrepend + 6);
  expect_invariant(b);
  EXPECT_EQ(b.retrieve_as_string(3), "wor");
  EXPECT_EQ(b.retrieve_all_as_string(), "ld");
  // Emptied: both indices return home, so the whole capacity is writable again.
  EXPECT_EQ(b.prependable_bytes(), Buffer::kCheapPrepend);
  EXPECT_EQ(b.writable_bytes(), 16u);
}

TEST(Buffer, ConsumeMoreThanReadableEmpties) {
  Buffer b(16);
  b.append(std::string_view("abc"));
  b.consume(100);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.retrieve_as_string(5), "");
}

TEST(Buffer, GrowsAtLeastDoubling) {
  Buffer b(16);
  b.append(std::string(20, 'x'));
  EXPECT_EQ(b.readable_bytes(), 20u);
  EXPECT_EQ(b.capacity(), 2 * (Buffer::kCheapPrepend + 16));
  b.append(std::string(1000, 'y'));
  EXPECT_EQ(b.capacity(), Buffer::kCheapPrepend + 1020);
  EXPECT_EQ(b.view(), std::string(20, 'x') + std::string(1000, 'y'));
  expect_invariant(b);
}

TEST(Buffer, CompactsInsteadOfGrowing) {
  Buffer b(32);
  b.append(std::string(30, 'a'));
  b.consume(25);  // 5 readable, 25 reclaimable in front, 2 writable
  std::size_t cap = b.capacity();
  b.append(std::string(20, 'b'));  // fits after compaction
  EXPECT_EQ(b.capacity(), cap);
  EXPECT_EQ(b.prependable_bytes(), Buffer::kCheapPrepend);
  EXPECT_EQ(b.view(), std::string(5, 'a') + std::string(20, 'b'));
  expect_invariant(b);
}

TEST(Buffer, SteadyStateDoesNotReallocate) {
  Buffer b(64);
  b.append(std::string(64, 'w'));
  b.consume_all();
  const std::byte* base = b.readable().data();
  std::size_t cap = b.capacity();
  for (int i = 0; i < 10000; ++i) {
    b.append(std::string_view("0123456789abcdef0123456789"));
    b.consume(i % 2 == 0 ? 13u : 39u);  // a partial message carried over every other round
  }
  EXPECT_EQ(b.capacity(), cap);
  b.consume_all();
  EXPECT_EQ(b.readable().data(), base);
}

TEST(Buffer, WritableAndCommit) {
  Buffer b(8);
  b.ensure_writable(100);
  ASSERT_GE(b.writable_bytes(), 100u);
  auto room = b.writable();
  room[0] = std::byte{'h'};
  room[1] = std::byte{'i'};
  b.commit(2);
  EXPECT_EQ(b.view(), "hi");
  b.commit(1u << 30);  // clamped to the writable size
  EXPECT_EQ(b.writable_bytes(), 0u);
  expect_invariant(b);
}

TEST(Buffer, PrependUsesCheapSpaceThenShifts) {
  Buffer b(16);
  b.append(std::string_view("payload"));
  b.prepend(std::as_bytes(std::span("HDR!", 4)));
  EXPECT_EQ(b.view(), "HDR!payload");
  EXPECT_EQ(b.prependable_bytes(), Buffer::kCheapPrepend - 4);
  b.prepend(std::as_bytes(std::span("0123456789", 10)));  // more than the 4 left in front
  EXPECT_EQ(b.view(), "0123456789HDR!payload");
  EXPECT_EQ(b.prependable_bytes(), 0u);
  expect_invariant(b);
  b.append(std::string(100, 'z'));  // growth with read index below kCheapPrepend
  EXPECT_EQ(b.view().substr(0, 21), "0123456789HDR!payload");
  EXPECT_EQ(b.readable_bytes(), 121u);
  expect_invariant(b);
}

TEST(Buffer, FindVariants) {
  Buffer b(64);
  b.append(std::string_view("GET / HTTP/1.1\r\nHost: x\n\r\n"));
  EXPECT_EQ(b.find_crlf(), 14u);
  EXPECT_EQ(b.find_crlf(15), 24u);
  EXPECT_EQ(b.find_eol(), 15u);
  EXPECT_EQ(b.find_eol(16), 23u);
  EXPECT_EQ(b.find("Host"), 16u);
  EXPECT_EQ(b.find("nothere"), Buffer::npos);
  EXPECT_EQ(b.find_byte('Q'), Buffer::npos);
  EXPECT_EQ(b.find("x", 1000), Buffer::npos);
  b.consume(16);  // offsets are relative to the readable start
  EXPECT_EQ(b.find("Host"), 0u);
  EXPECT_EQ(b.find_crlf(), 8u);
}

TEST(Buffer, ShrinkToFitReleasesMemory) {
  Buffer b(16);
  b.append(std::string(10000, 'q'));
  b.consume(9990);
  b.shrink_to_fit(6);
  EXPECT_EQ(b.capacity(), Buffer::kCheapPrepend + 10 + 6);
  EXPECT_EQ(b.view(), std::string(10, 'q'));
  b.consume_all();
  b.shrink_to_fit();
  EXPECT_EQ(b.capacity(), 0u);
  b.append(std::string_view("again"));  // usable after full release
  EXPECT_EQ(b.view(), "again");
  expect_invariant(b);
}

TEST(Buffer, ZeroInitialSizeAllocatesLazily) {
  Buffer b(0);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_TRUE(b.view().empty());
  EXPECT_EQ(b.find_eol(), Buffer::npos);
  b.append(std::string_view("x"));
  EXPECT_EQ(b.view(), "x");
  EXPECT_EQ(b.prependable_bytes(), Buffer::kCheapPrepend);
}

TEST(Buffer, MoveTransfersContent) {
  Buffer a(16);
  a.append(std::string_view("moved"));
  Buffer b(std::move(a));
  EXPECT_EQ(b.view(), "moved");
  EXPECT_EQ(a.capacity(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  Buffer c;
  c = std::move(b);
  EXPECT_EQ(c.view(), "moved");
}

}  // namespace
}  // namespace sockit
