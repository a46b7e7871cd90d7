// Complete I/O over any ByteStream (stream/io.hpp): partial transfers put together, the
// end-of-stream rule, recv_until's limits, whole-call deadlines. (The same rules in the
// coroutine form: tests/concurrency/test_stream_forms.cpp.)
#include "sockit/stream/io.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "sockit/core/buffer.hpp"
#include "sockit/stream/unix.hpp"

namespace sockit {
namespace {

// A stream over another stream that counts its calls and short transfers: the shape of a TLS
// stream, and proof that the complete-I/O calls need nothing but the concept.
template <ByteStream S>
class CountingStream {
 public:
  explicit CountingStream(S& inner) : inner_(inner) {}
  Result<std::size_t> read_some(std::span<std::byte> out, Deadline d) {
    ++reads;
    return inner_.read_some(out, d);
  }
  Result<std::size_t> write_some(std::span<const std::byte> data, Deadline d) {
    ++writes;
    auto n = inner_.write_some(data, d);
    if (n && *n < data.size()) ++short_writes;
    return n;
  }
  Status shutdown(ShutdownHow how) { return inner_.shutdown(how); }
  int reads = 0;
  int writes = 0;
  int short_writes = 0;

 private:
  S& inner_;
};
static_assert(ByteStream<CountingStream<UnixStream>>);

std::pair<UnixStream, UnixStream> make_pair() {
  auto p = UnixStream::pair();
  EXPECT_TRUE(p);
  return std::move(*p);
}

void shrink_buffers(const std::pair<UnixStream, UnixStream>& p) {
  ASSERT_TRUE(set_send_buffer(p.first.fd(), 4096));
  ASSERT_TRUE(set_recv_buffer(p.second.fd(), 4096));
}

// A position-dependent pattern: a dropped, duplicated or reordered chunk changes the bytes.
std::byte pattern_at(std::size_t i) {
  return static_cast<std::byte>((i * 131u + (i >> 12)) & 0xffu);
}

TEST(Io, FourMibThroughTinySendBuffer) {
  constexpr std::size_t kSize = 4u << 20;
  auto p = make_pair();
  shrink_buffers(p);
  CountingStream counted(p.first);
  std::size_t sent = 0;
  Status send_status;
  std::thread sender([&] {
    std::vector<std::byte> data(kSize);
    for (std::size_t i = 0; i < kSize; ++i)
      data[i] = pattern_at(i);
    send_status = send_all(counted, data, Deadline::after(Millis(20000)), &sent);
  });
  std::vector<std::byte> got(kSize);
  std::size_t received = 0;
  Status st = recv_exact(p.second, got, Deadline::after(Millis(20000)), &received);
  sender.join();
  ASSERT_TRUE(st) << st.error().message();
  ASSERT_TRUE(send_status) << send_status.error().message();
  EXPECT_EQ(sent, kSize);
  EXPECT_EQ(received, kSize);
  std::size_t mismatch = kSize;
  for (std::size_t i = 0; i < kSize && mismatch == kSize; ++i)
    if (got[i] != pattern_at(i)) mismatch = i;
  EXPECT_EQ(mismatch, kSize);
  EXPECT_GT(counted.short_writes, 0);  // the sender had to loop over partial sends
  EXPECT_GT(counted.writes, 10);
}

TEST(Io, RecvExactEndOfStreamMidMessageIsClosedEarlyWithCount) {
  auto p = make_pair();
  ASSERT_TRUE(send_all(p.first, "12345", Deadline::never()));
  p.first = UnixStream();
  std::array<std::byte, 10> out{};
  std::size_t received = 99;
  Status st = recv_exact(p.second, out, Deadline::after(Millis(5000)), &received);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), Errc::closed_early);
  EXPECT_EQ(received, 5u);
  EXPECT_EQ(out[0], std::byte{'1'});
  EXPECT_EQ(out[4], std::byte{'5'});
  // Nothing more: the stream ended at a message boundary.
  st = recv_exact(p.second, out, Deadline::after(Millis(5000)), &received);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), Errc::end_of_stream);
  EXPECT_EQ(received, 0u);
}

TEST(Io, RecvExactZeroBytesSucceedsWithoutACall) {
  auto p = make_pair();
  CountingStream counted(p.second);
  std::size_t received = 7;
  EXPECT_TRUE(recv_exact(counted, {}, Deadline::after(Millis(0)), &received));
  EXPECT_EQ(received, 0u);
  EXPECT_EQ(counted.reads, 0);
}

TEST(Io, RecvUntilDelimiterSplitAcrossOneByteWrites) {
  auto p = make_pair();
  std::thread writer([&] {
    for (char c : std::string_view("hello\r\nworld\r\n")) {
      ASSERT_TRUE(send_all(p.first, std::string_view(&c, 1), Deadline::after(Millis(5000))));
      std::this_thread::sleep_for(Millis(2));
    }
  });
  Buffer buf;
  std::string first(
      recv_until(p.second, buf, "\r\n", 100, Deadline::after(Millis(5000))).value_or("?"));
  std::string second(
      recv_until(p.second, buf, "\r\n", 100, Deadline::after(Millis(5000))).value_or("?"));
  writer.join();
  EXPECT_EQ(first, "hello");
  EXPECT_EQ(second, "world");
  EXPECT_TRUE(buf.empty());
}

TEST(Io, RecvUntilKeepsBytesAfterDelimiterBuffered) {
  auto p = make_pair();
  ASSERT_TRUE(send_all(p.first, "a\nbb\n\nccc", Deadline::never()));
  Buffer buf;
  CountingStream counted(p.second);
  auto dl = Deadline::after(Millis(5000));
  EXPECT_EQ(recv_until(counted, buf, "\n", 10, dl).value_or("?"), "a");
  EXPECT_EQ(buf.view(), "bb\n\nccc");
  int after_first = counted.reads;
  EXPECT_EQ(recv_until(counted, buf, "\n", 10, dl).value_or("?"), "bb");
  EXPECT_EQ(recv_until(counted, buf, "\n", 10, dl).value_or("?"), "");  // empty line
  EXPECT_EQ(counted.reads, after_first);                                // served from the buffer
  p.first = UnixStream();
  auto last = recv_until(counted, buf, "\n", 10, dl);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error(), Errc::closed_early);
  EXPECT_EQ(buf.view(), "ccc");
}

TEST(Io, RecvUntilTooLongWithoutDelimiter) {
  auto p = make_pair();
  auto dl = Deadline::after(Millis(5000));
  ASSERT_TRUE(send_all(p.first, std::string(5000, 'x'), dl));
  Buffer buf;
  auto r = recv_until(p.second, buf, "\n", 1000, dl);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::line_too_long);
}

TEST(Io, DeadlinesFireWithTimedOut) {
  auto p = make_pair();
  std::array<std::byte, 4> out{};
  auto start = Clock::now();
  std::size_t received = 99;
  Status st = recv_exact(p.second, out, Deadline::after(Millis(50)), &received);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::timed_out);
  EXPECT_EQ(st.error(), Errc::deadline_passed);
  EXPECT_EQ(received, 0u);
  EXPECT_GE(Clock::now() - start, Millis(45));

  Buffer buf;
  auto line = recv_until(p.second, buf, "\n", 10, Deadline::after(Millis(30)));
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error(), Errc::deadline_passed);
}

TEST(Io, SendAllTimesOutWhenPeerDoesNotRead) {
  auto p = make_pair();
  shrink_buffers(p);
  std::string big(1u << 20, 'z');
  std::size_t sent = 0;
  Status st = send_all(p.first, big, Deadline::after(Millis(50)), &sent);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), Errc::deadline_passed);
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, big.size());
}

TEST(Io, SendToClosedPeerIsBrokenPipeNotSignal) {
  auto p = make_pair();
  p.second = UnixStream();
  Status st = send_all(p.first, "anyone there?", Deadline::after(Millis(1000)));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::broken_pipe);
}

}  // namespace
}  // namespace sockit
