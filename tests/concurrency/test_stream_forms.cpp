// The blocking (stream/io.hpp) and coroutine (AsyncStream) forms of the complete-I/O calls
// follow one rule: the same bytes give the same results, errors included (issue 10).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <string>
#include <vector>

#include "async_test_support.hpp"
#include "sockit/async/async.hpp"
#include "sockit/stream/io.hpp"
#include "sockit/stream/stream.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/udp.hpp"
#include "sockit/stream/unix.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using namespace async_test;

// The types say where a stream is wanted: listeners, datagram sockets and bare descriptors
// are not streams, so send_all(listener, ...) or send_all(fd, ...) does not compile.
static_assert(ByteStream<TcpStream>);
static_assert(ByteStream<UnixStream>);
static_assert(!ByteStream<TcpListener>);
static_assert(!ByteStream<UnixListener>);
static_assert(!ByteStream<UdpSocket>);
static_assert(!ByteStream<UnixDatagram>);
static_assert(!ByteStream<int>);
static_assert(AsyncByteStream<AsyncStream>);
static_assert(!AsyncByteStream<TcpStream>);

std::string outcome(const Result<std::string_view>& r) {
  return r ? "line:" + std::string(*r) : "error:" + r.error().message();
}

// Writes `input`, closes the writing side, and reads lines until an error, blocking.
std::vector<std::string> blocking_lines(std::string_view input, std::string_view delimiter,
                                        std::size_t max) {
  auto pair = UnixStream::pair();
  EXPECT_TRUE(pair);
  EXPECT_TRUE(send_all(pair->first, input, Deadline::after(5s)));
  EXPECT_TRUE(pair->first.shutdown(ShutdownHow::write));
  std::vector<std::string> out;
  Buffer in;
  for (int i = 0; i < 20; ++i) {
    auto r = recv_until(pair->second, in, delimiter, max, Deadline::after(5s));
    out.push_back(outcome(r));
    if (!r) break;
  }
  return out;
}

// The same with the coroutine form.
std::vector<std::string> coroutine_lines(std::string_view input, std::string_view delimiter,
                                         std::size_t max) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  auto theirs = UnixStream::from_fd(std::move(p.theirs));
  EXPECT_TRUE(theirs);
  EXPECT_TRUE(send_all(*theirs, input, Deadline::after(5s)));
  EXPECT_TRUE(theirs->shutdown(ShutdownHow::write));
  std::vector<std::string> out;
  EXPECT_TRUE(run_until_complete(*loop,
                                 [](AsyncStream& s, std::string_view d, std::size_t m,
                                    std::vector<std::string>& o) -> Task<void> {
                                   for (int i = 0; i < 20; ++i) {
                                     auto r = co_await s.recv_until(d, m, Deadline::after(5s));
                                     o.push_back(outcome(r));
                                     if (!r) break;
                                   }
                                 }(p.ours, delimiter, max, out)));
  return out;
}

std::string err(Errc e) {
  return "error:" + make_error_code(e).message();
}

TEST(StreamForms, RecvUntilCleanEndAtALineBoundary) {
  const std::vector<std::string> want{"line:a", "line:", "line:bb\r", "line:0123456789",
                                      err(Errc::end_of_stream)};
  const std::string input = "a\n\nbb\r\n0123456789\n";
  EXPECT_EQ(blocking_lines(input, "\n", 10), want);
  EXPECT_EQ(coroutine_lines(input, "\n", 10), want);
}

TEST(StreamForms, RecvUntilEndInTheMiddleIsClosedEarly) {
  const std::vector<std::string> want{"line:one", err(Errc::closed_early)};
  EXPECT_EQ(blocking_lines("one\r\ntw", "\r\n", 64), want);
  EXPECT_EQ(coroutine_lines("one\r\ntw", "\r\n", 64), want);
}

TEST(StreamForms, RecvUntilMaxCountsTheLineWithoutItsDelimiter) {
  // 10 bytes fit a max of 10; 11 without a delimiter in max + 1 bytes do not.
  const std::vector<std::string> want{"line:0123456789", err(Errc::line_too_long)};
  EXPECT_EQ(blocking_lines("0123456789\r\n0123456789A\r\n", "\r\n", 10), want);
  EXPECT_EQ(coroutine_lines("0123456789\r\n0123456789A\r\n", "\r\n", 10), want);
}

TEST(StreamForms, RecvUntilEmptyDelimiterIsInvalid) {
  const std::vector<std::string> want{"error:" +
                                      std::make_error_code(std::errc::invalid_argument).message()};
  EXPECT_EQ(blocking_lines("x\n", "", 10), want);
  EXPECT_EQ(coroutine_lines("x\n", "", 10), want);
}

TEST(StreamForms, RecvExactEndOfStreamBeforeTheFirstByteClosedEarlyAfter) {
  for (std::string_view input : {std::string_view(""), std::string_view("abc")}) {
    const Errc want = input.empty() ? Errc::end_of_stream : Errc::closed_early;
    auto pair = UnixStream::pair();
    ASSERT_TRUE(pair);
    ASSERT_TRUE(send_all(pair->first, input));
    ASSERT_TRUE(pair->first.shutdown(ShutdownHow::write));
    std::array<std::byte, 8> buf{};
    std::size_t received = 99;
    auto st = recv_exact(pair->second, buf, Deadline::after(5s), &received);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error(), make_error_code(want));
    EXPECT_EQ(received, input.size());

    auto loop = make_loop();
    Pair p = make_pair(*loop);
    ASSERT_EQ(::send(p.theirs.get(), input.data(), input.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(input.size()));
    p.theirs.reset();
    std::size_t got = 99;
    auto a = run_until_complete(*loop, [](AsyncStream& s, std::size_t& n) -> Task<Status> {
      std::array<std::byte, 8> b{};
      co_return co_await s.recv_exact(b, Deadline::after(5s), &n);
    }(p.ours, got));
    ASSERT_TRUE(a.has_value());
    ASSERT_FALSE(a->has_value());
    EXPECT_EQ(a->error(), make_error_code(want));
    EXPECT_EQ(got, input.size());
  }
}

TEST(StreamForms, CoroutineWriteSomeAndShutdown) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  auto r = run_until_complete(*loop, [](AsyncStream& s) -> Task<Result<std::size_t>> {
    auto n = co_await s.write_some(std::as_bytes(std::span(std::string_view("hello"))));
    if (!n) co_return n;
    auto st = co_await s.shutdown(ShutdownHow::write);
    if (!st) co_return fail(st.error());
    co_return n;
  }(p.ours));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, 5u);
  std::array<char, 16> buf{};
  EXPECT_EQ(::recv(p.theirs.get(), buf.data(), buf.size(), 0), 5);
  EXPECT_EQ(std::string_view(buf.data(), 5), "hello");
  EXPECT_EQ(::recv(p.theirs.get(), buf.data(), buf.size(), 0), 0);  // the FIN
}

}  // namespace
}  // namespace sockit
