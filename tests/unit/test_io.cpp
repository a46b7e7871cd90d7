#include "sockit/stream/io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <thread>
#include <vector>

#include "sockit/core/buffer.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit {
namespace {

struct Pair {
  UniqueFd a;
  UniqueFd b;
};

Pair make_socketpair() {
  int sv[2] = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

// a = read end, b = write end.
Pair make_pipe() {
  int p[2] = {-1, -1};
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

void shrink_buffers(const Pair& p) {
  int small = 4096;
  ASSERT_EQ(::setsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  ASSERT_EQ(::setsockopt(p.b.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
}

// A position-dependent pattern: a dropped, duplicated or reordered chunk changes the bytes.
std::byte pattern_at(std::size_t i) {
  return static_cast<std::byte>((i * 131u + (i >> 12)) & 0xffu);
}

std::vector<std::byte> make_pattern(std::size_t size) {
  std::vector<std::byte> v(size);
  for (std::size_t i = 0; i < size; ++i)
    v[i] = pattern_at(i);
  return v;
}

std::size_t first_mismatch(const std::vector<std::byte>& got) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] != pattern_at(i)) return i;
  }
  return got.size();
}

std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s));
}

// 4 MiB through a 4 KiB send buffer: the sender must loop over many partial sends.
void transfer_4mib(const Pair& p, bool nonblocking) {
  constexpr std::size_t kSize = 4u << 20;
  if (nonblocking) {
    ASSERT_TRUE(set_nonblocking(p.a.get(), true));
    ASSERT_TRUE(set_nonblocking(p.b.get(), true));
  }
  std::vector<IoEvent> events;
  std::size_t sent = 0;
  Status send_status;
  std::thread sender([&] {
    auto data = make_pattern(kSize);
    auto hook = [&](const IoEvent& e) { events.push_back(e); };
    send_status = send_all(p.a.get(), data, Deadline::after(Millis(20000)), &sent, hook);
  });
  std::vector<std::byte> got(kSize);
  std::size_t received = 0;
  Status st = recv_exact(p.b.get(), got, Deadline::after(Millis(20000)), &received);
  sender.join();
  ASSERT_TRUE(st) << st.error().message();
  ASSERT_TRUE(send_status) << send_status.error().message();
  EXPECT_EQ(sent, kSize);
  EXPECT_EQ(received, kSize);
  EXPECT_EQ(first_mismatch(got), kSize);

  // The trace saw every send() call, partial ones included, and they add up.
  std::size_t total = 0;
  std::size_t partial = 0;
  for (const IoEvent& e : events) {
    EXPECT_EQ(e.op, IoOp::send);
    EXPECT_EQ(e.fd, p.a.get());
    EXPECT_STREQ(e.call, "send");
    if (!e.error) {
      total += e.returned;
      if (e.returned < e.requested) ++partial;
    } else {
      EXPECT_EQ(e.error, std::errc::resource_unavailable_try_again);
    }
  }
  EXPECT_EQ(total, kSize);
  EXPECT_GT(partial, 0u);
  EXPECT_GT(events.size(), 10u);
}

TEST(Io, FourMibThroughTinySendBufferBlocking) {
  Pair p = make_socketpair();
  shrink_buffers(p);
  transfer_4mib(p, false);
}

TEST(Io, FourMibThroughTinySendBufferNonBlocking) {
  Pair p = make_socketpair();
  shrink_buffers(p);
  transfer_4mib(p, true);
}

TEST(Io, PipeFallsBackToWriteAndRead) {
  constexpr std::size_t kSize = 1u << 20;
  Pair p = make_pipe();
  std::vector<const char*> calls;
  Status send_status;
  std::thread sender([&] {
    auto data = make_pattern(kSize);
    auto hook = [&](const IoEvent& e) { calls.push_back(e.call); };
    send_status = send_all(p.b.get(), data, Deadline::after(Millis(20000)), nullptr, hook);
  });
  std::vector<std::byte> got(kSize);
  Status st = recv_exact(p.a.get(), got, Deadline::after(Millis(20000)));
  sender.join();
  ASSERT_TRUE(st) << st.error().message();
  ASSERT_TRUE(send_status) << send_status.error().message();
  EXPECT_EQ(first_mismatch(got), kSize);
  ASSERT_GE(calls.size(), 2u);
  EXPECT_STREQ(calls[0], "send");  // ENOTSOCK, then write() from there on
  EXPECT_STREQ(calls[1], "write");
}

TEST(Io, RecvExactToEofReportsClosedEarlyAndCount) {
  Pair p = make_socketpair();
  ASSERT_TRUE(send_all(p.a.get(), std::string_view("12345"), Deadline::never()));
  p.a.reset();
  std::array<std::byte, 10> out{};
  std::size_t received = 99;
  Status st = recv_exact(p.b.get(), out, Deadline::after(Millis(5000)), &received);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), Errc::closed_early);
  EXPECT_EQ(received, 5u);
  EXPECT_EQ(out[0], std::byte{'1'});
  EXPECT_EQ(out[4], std::byte{'5'});
}

TEST(Io, RecvExactZeroBytesSucceedsWithoutSyscall) {
  Pair p = make_socketpair();
  int calls = 0;
  auto hook = [&](const IoEvent&) { ++calls; };
  std::size_t received = 7;
  EXPECT_TRUE(recv_exact(p.b.get(), {}, Deadline::after(Millis(0)), &received, hook));
  EXPECT_EQ(received, 0u);
  EXPECT_EQ(calls, 0);
}

TEST(Io, RecvUntilDelimiterSplitAcrossOneByteWrites) {
  Pair p = make_socketpair();
  std::thread writer([&] {
    for (char c : std::string_view("hello\r\nworld\r\n")) {
      ASSERT_TRUE(send_all(p.a.get(), std::string_view(&c, 1), Deadline::after(Millis(5000))));
      std::this_thread::sleep_for(Millis(2));
    }
  });
  Buffer buf;
  auto first = recv_until(p.b.get(), buf, "\r\n", 100, Deadline::after(Millis(5000)));
  auto second = recv_until(p.b.get(), buf, "\r\n", 100, Deadline::after(Millis(5000)));
  writer.join();
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(*first, "hello");
  EXPECT_EQ(*second, "world");
  EXPECT_TRUE(buf.empty());
}

TEST(Io, RecvUntilKeepsBytesAfterDelimiterBuffered) {
  Pair p = make_socketpair();
  ASSERT_TRUE(send_all(p.a.get(), std::string_view("a\nbb\n\nccc"), Deadline::never()));
  Buffer buf;
  int syscalls = 0;
  auto hook = [&](const IoEvent&) { ++syscalls; };
  auto dl = Deadline::after(Millis(5000));
  EXPECT_EQ(recv_until(p.b.get(), buf, "\n", 10, dl, hook).value_or("?"), "a");
  EXPECT_EQ(buf.view(), "bb\n\nccc");
  int after_first = syscalls;
  EXPECT_EQ(recv_until(p.b.get(), buf, "\n", 10, dl, hook).value_or("?"), "bb");
  EXPECT_EQ(recv_until(p.b.get(), buf, "\n", 10, dl, hook).value_or("?"), "");  // empty line
  EXPECT_EQ(syscalls, after_first);  // served from the buffer
  p.a.reset();
  auto last = recv_until(p.b.get(), buf, "\n", 10, dl, hook);
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error(), Errc::closed_early);
  EXPECT_EQ(buf.view(), "ccc");
}

TEST(Io, RecvUntilOnBlockingPipeUsesReadv) {
  Pair p = make_pipe();
  ASSERT_TRUE(send_all(p.b.get(), std::string_view("first\nsecond\n"), Deadline::never()));
  std::vector<std::string> calls;
  auto hook = [&](const IoEvent& e) { calls.emplace_back(e.call); };
  Buffer buf(0);  // nothing allocated yet: the whole read lands in the stack overflow area
  auto first = recv_until(p.a.get(), buf, "\n", 100, Deadline::after(Millis(5000)), hook);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, "first");
  EXPECT_EQ(buf.view(), "second\n");
  EXPECT_EQ(calls, (std::vector<std::string>{"recvmsg", "readv"}));
  auto timed = recv_until(p.a.get(), buf, "\r\n", 100, Deadline::after(Millis(30)));
  ASSERT_FALSE(timed);
  EXPECT_EQ(timed.error(), std::errc::timed_out);
  EXPECT_EQ(buf.view(), "second\n");
}

TEST(Io, RecvUntilMaxBoundary) {
  Pair p = make_socketpair();
  auto dl = Deadline::after(Millis(5000));
  Buffer buf;
  ASSERT_TRUE(send_all(p.a.get(), std::string_view("0123456789\r\n"), dl));
  EXPECT_EQ(recv_until(p.b.get(), buf, "\r\n", 10, dl).value_or("?"), "0123456789");
  // 11 bytes and then the start of a delimiter: 12 bytes >= 10 + 2 buffered, none a delimiter.
  ASSERT_TRUE(send_all(p.a.get(), std::string_view("0123456789A\r"), dl));
  auto r = recv_until(p.b.get(), buf, "\r\n", 10, dl);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::line_too_long);
}

TEST(Io, RecvUntilTooLongWithoutDelimiter) {
  Pair p = make_socketpair();
  auto dl = Deadline::after(Millis(5000));
  ASSERT_TRUE(send_all(p.a.get(), std::string(5000, 'x'), dl));
  Buffer buf;
  auto r = recv_until(p.b.get(), buf, "\n", 1000, dl);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::line_too_long);
}

TEST(Io, RecvUntilRejectsEmptyDelimiter) {
  Pair p = make_socketpair();
  Buffer buf;
  auto r = recv_until(p.b.get(), buf, "", 10, Deadline::never());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
}

TEST(Io, DeadlinesFireWithTimedOut) {
  Pair p = make_socketpair();
  std::array<std::byte, 4> out{};
  auto start = Clock::now();
  std::size_t received = 99;
  Status st = recv_exact(p.b.get(), out, Deadline::after(Millis(50)), &received);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::timed_out);
  EXPECT_EQ(st.error(), Errc::deadline_passed);
  EXPECT_EQ(received, 0u);
  EXPECT_GE(Clock::now() - start, Millis(45));

  Buffer buf;
  auto line = recv_until(p.b.get(), buf, "\n", 10, Deadline::after(Millis(30)));
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error(), std::errc::timed_out);
  EXPECT_EQ(line.error(), Errc::deadline_passed);
}

TEST(Io, SendAllTimesOutWhenPeerDoesNotRead) {
  Pair p = make_socketpair();
  shrink_buffers(p);
  std::string big(1u << 20, 'z');
  std::size_t sent = 0;
  Status st = send_all(p.a.get(), big, Deadline::after(Millis(50)), &sent);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::timed_out);
  EXPECT_EQ(st.error(), Errc::deadline_passed);
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, big.size());
}

TEST(Io, BlockingPipeHonoursDeadline) {
  Pair p = make_pipe();  // both ends blocking: poll before each read()/write()
  std::array<std::byte, 4> out{};
  Status r = recv_exact(p.a.get(), out, Deadline::after(Millis(50)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  std::string big(1u << 20, 'z');  // far more than the 64 KiB pipe capacity
  std::size_t sent = 0;
  Status w = send_all(p.b.get(), big, Deadline::after(Millis(50)), &sent);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error(), std::errc::timed_out);
  EXPECT_GT(sent, 0u);
}

TEST(Io, SendToClosedSocketPeerIsBrokenPipeNotSignal) {
  Pair p = make_socketpair();
  p.b.reset();
  Status st = send_all(p.a.get(), std::string_view("anyone there?"), Deadline::after(Millis(1000)));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::broken_pipe);
}

TEST(Io, SendToClosedPipeIsBrokenPipeNotSignal) {
  Pair p = make_pipe();
  p.a.reset();
  Status st = send_all(p.b.get(), std::string_view("anyone there?"), Deadline::after(Millis(1000)));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::broken_pipe);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);  // swallowed, not left pending
}

TEST(Io, ReadIntoAndWriteFromOnNonBlockingSocket) {
  Pair p = make_socketpair();
  ASSERT_TRUE(set_nonblocking(p.b.get(), true));
  Buffer in(16);
  auto empty = read_into(p.b.get(), in);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error(), std::errc::resource_unavailable_try_again);

  Buffer out;
  out.append(std::string(100000, 'k'));  // bigger than in's writable part: uses the stack area
  auto w = write_from(p.a.get(), out);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(out.readable_bytes(), 100000u - *w);
  std::size_t total = 0;
  while (total < *w) {
    auto r = read_into(p.b.get(), in);
    ASSERT_TRUE(r) << r.error().message();
    total += *r;
  }
  EXPECT_EQ(total, *w);
  EXPECT_EQ(in.view(), std::string(*w, 'k'));
  p.a.reset();
  auto eof = read_into(p.b.get(), in);
  ASSERT_TRUE(eof);
  EXPECT_EQ(*eof, 0u);
}

TEST(Io, TraceFunctionPointerForm) {
  Pair p = make_socketpair();
  std::size_t seen = 0;
  IoTrace trace([](void* ctx, const IoEvent& e) { *static_cast<std::size_t*>(ctx) += e.returned; },
                &seen);
  ASSERT_TRUE(send_all(p.a.get(), bytes_of("xyz"), Deadline::never(), nullptr, trace));
  EXPECT_EQ(seen, 3u);
}

}  // namespace
}  // namespace sockit
