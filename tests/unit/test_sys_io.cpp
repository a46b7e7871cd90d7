// The sys layer's byte calls (sys/io.hpp) and the waiting single calls built on them
// (socket.hpp's read_some / write_some): MSG_DONTWAIT/MSG_NOSIGNAL, the pipe fallback with
// SIGPIPE swallowed, deadlines on blocking pipes, the trace hook.
#include "sockit/sys/io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "sockit/core/buffer.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"
#include "support/socket_pair.hpp"

namespace sockit {
namespace {

using Pair = test::SocketPair;

Pair make_socketpair() {
  return test::make_socket_pair();
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

// Every byte of `data` through write_some on a descriptor (what send_all does over a stream).
Status write_all_fd(int fd, std::span<const std::byte> data, Deadline deadline,
                    std::size_t* sent = nullptr, IoTrace trace = {}) {
  std::size_t done = 0;
  Status st;
  while (done < data.size()) {
    auto n = write_some(fd, data.subspan(done), deadline, trace);
    if (!n) {
      st = fail(n.error());
      break;
    }
    done += *n;
  }
  if (sent != nullptr) *sent = done;
  return st;
}

Status read_all_fd(int fd, std::span<std::byte> out, Deadline deadline) {
  std::size_t done = 0;
  while (done < out.size()) {
    auto n = read_some(fd, out.subspan(done), deadline);
    if (!n) return fail(n.error());
    if (*n == 0) return fail(Errc::closed_early);
    done += *n;
  }
  return {};
}

TEST(SysIo, PipeFallsBackToWriteAndRead) {
  constexpr std::size_t kSize = 1u << 20;
  Pair p = make_pipe();
  std::vector<const char*> calls;
  Status send_status;
  std::thread sender([&] {
    auto data = make_pattern(kSize);
    auto hook = [&](const IoEvent& e) { calls.push_back(e.call); };
    send_status = write_all_fd(p.b.get(), data, Deadline::after(Millis(20000)), nullptr, hook);
  });
  std::vector<std::byte> got(kSize);
  Status st = read_all_fd(p.a.get(), got, Deadline::after(Millis(20000)));
  sender.join();
  ASSERT_TRUE(st) << st.error().message();
  ASSERT_TRUE(send_status) << send_status.error().message();
  EXPECT_EQ(first_mismatch(got), kSize);
  ASSERT_GE(calls.size(), 2u);
  EXPECT_STREQ(calls[0], "send");  // ENOTSOCK, then write()
  EXPECT_STREQ(calls[1], "write");
}

TEST(SysIo, SocketCallsNeverBlockAndPartialSendsAreTraced) {
  Pair p = make_socketpair();  // both ends blocking: MSG_DONTWAIT keeps every call short
  shrink_buffers(p);
  std::vector<IoEvent> events;
  auto hook = [&](const IoEvent& e) { events.push_back(e); };
  std::string big(1u << 20, 'z');
  auto n = try_write(p.a.get(), bytes_of(big), hook);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_GT(*n, 0u);
  EXPECT_LT(*n, big.size());
  auto again = try_write(p.a.get(), bytes_of(big), hook);
  ASSERT_FALSE(again);
  EXPECT_TRUE(would_block(again.error()));
  EXPECT_EQ(again.error(), std::errc::resource_unavailable_try_again);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_STREQ(events[0].call, "send");
  EXPECT_EQ(events[0].returned, *n);
  EXPECT_EQ(events[1].error, std::errc::resource_unavailable_try_again);
  std::array<std::byte, 4> out{};
  Pair q = make_socketpair();
  auto none = try_read(q.b.get(), out);
  ASSERT_FALSE(none);
  EXPECT_TRUE(would_block(none.error()));
  EXPECT_FALSE(would_block(std::make_error_code(std::errc::broken_pipe)));
}

TEST(SysIo, BlockingPipeHonoursDeadline) {
  Pair p = make_pipe();  // both ends blocking: poll before each read()/write()
  std::array<std::byte, 4> out{};
  auto r = read_some(p.a.get(), out, Deadline::after(Millis(50)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  std::string big(1u << 20, 'z');  // far more than the 64 KiB pipe capacity
  std::size_t sent = 0;
  Status w = write_all_fd(p.b.get(), bytes_of(big), Deadline::after(Millis(50)), &sent);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error(), std::errc::timed_out);
  EXPECT_GT(sent, 0u);
}

TEST(SysIo, SendToClosedSocketPeerIsBrokenPipeNotSignal) {
  Pair p = make_socketpair();
  p.b.reset();
  auto st = write_some(p.a.get(), bytes_of("anyone there?"), Deadline::after(Millis(1000)));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::broken_pipe);
}

TEST(SysIo, SendToClosedPipeIsBrokenPipeNotSignal) {
  Pair p = make_pipe();
  p.a.reset();
  auto st = write_some(p.b.get(), bytes_of("anyone there?"), Deadline::after(Millis(1000)));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), std::errc::broken_pipe);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);  // swallowed, not left pending
}

TEST(SysIo, ReadIntoOnBlockingPipeUsesReadv) {
  Pair p = make_pipe();
  ASSERT_EQ(::write(p.b.get(), "first\nsecond\n", 13), 13);
  std::vector<std::string> calls;
  auto hook = [&](const IoEvent& e) { calls.emplace_back(e.call); };
  Buffer buf(0);  // nothing allocated yet: the whole read lands in the stack overflow area
  auto got = read_into(p.a.get(), buf, hook);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, 13u);
  EXPECT_EQ(buf.view(), "first\nsecond\n");
  EXPECT_EQ(calls, (std::vector<std::string>{"recvmsg", "readv"}));
}

TEST(SysIo, ReadIntoAndWriteFromOnNonBlockingSocket) {
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

TEST(SysIo, TraceFunctionPointerForm) {
  Pair p = make_socketpair();
  std::size_t seen = 0;
  IoTrace trace([](void* ctx, const IoEvent& e) { *static_cast<std::size_t*>(ctx) += e.returned; },
                &seen);
  ASSERT_EQ(write_some(p.a.get(), bytes_of("xyz"), Deadline::never(), trace).value_or(0), 3u);
  EXPECT_EQ(seen, 3u);
}

}  // namespace
}  // namespace sockit
