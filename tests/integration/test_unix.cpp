// Unix domain sockets: filesystem paths and abstract names, stale-file handling, datagrams.
#include "sockit/stream/unix.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace sockit {
namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}
std::string text(std::span<const std::byte> b, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(b.data()), n);
}
bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string read_all(UnixStream& s, std::size_t max = 1000) {
  std::string out;
  std::array<std::byte, 256> buf{};
  const auto deadline = Deadline::after(5s);
  while (out.size() < max) {
    auto got = s.read_some(buf, deadline);
    if (!got || *got == 0) break;
    out += text(buf, *got);
  }
  return out;
}

class Unix : public ::testing::Test {
 protected:
  void SetUp() override {
    fds_before_ = count_open_fds().value();
    char dir[] = "/tmp/sockit-unix-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    EXPECT_EQ(count_open_fds().value(), fds_before_) << "fd leak";
    for (const auto& f : {"a.sock", "b.sock", "plain"})
      ::unlink((dir_ + "/" + f).c_str());
    EXPECT_EQ(::rmdir(dir_.c_str()), 0) << "a file was left behind in " << dir_;
  }
  UnixPath path(std::string_view name) const { return UnixPath{dir_ + "/" + std::string(name)}; }
  static UnixPath abstract() {
    static std::atomic<int> counter{0};
    return UnixPath{"@sockit-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)};
  }

  std::string dir_;

 private:
  int fds_before_ = 0;
};

TEST_F(Unix, StreamOverAFilesystemPath) {
  const auto p = path("a.sock");
  {
    auto l = UnixListener::bind(p);
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_TRUE(exists(p.path));
    auto c = UnixStream::connect(p, Deadline::after(2s));
    ASSERT_TRUE(c) << c.error().message();
    auto s = l->accept(Deadline::after(2s));
    ASSERT_TRUE(s) << s.error().message();
    ASSERT_EQ(c->write_some(bytes("hello"), Deadline::after(2s)).value(), 5u);
    ASSERT_TRUE(c->shutdown(ShutdownHow::write));
    EXPECT_EQ(read_all(*s), "hello");  // then EOF
    EXPECT_EQ(s->local_endpoint().value(), Endpoint(p));
    for (int fd : {l->fd(), c->fd(), s->fd()}) {
      EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
      EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    }
  }
  EXPECT_FALSE(exists(p.path)) << "the listener removes its socket file";
}

TEST_F(Unix, StreamOverAnAbstractName) {
  const auto name = abstract();
  auto l = UnixListener::bind(name).value();
  auto c = UnixStream::connect(name, Deadline::after(2s));
  ASSERT_TRUE(c) << c.error().message();
  auto s = l.accept(Deadline::after(2s)).value();
  ASSERT_EQ(s.write_some(bytes("abstract"), Deadline::after(2s)).value(), 8u);
  ASSERT_TRUE(s.shutdown(ShutdownHow::write));
  EXPECT_EQ(read_all(*c), "abstract");
  EXPECT_EQ(c->peer_endpoint().value(), Endpoint(name));
}

TEST_F(Unix, ConnectErrors) {
  auto missing = UnixStream::connect(path("a.sock"), Deadline::after(2s));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory);
  auto nobody = UnixStream::connect(abstract(), Deadline::after(2s));
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error(), std::errc::connection_refused);
}

TEST_F(Unix, AcceptDeadlineFires) {
  auto l = UnixListener::bind(abstract()).value();
  auto s = l.accept(Deadline::after(50ms));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::timed_out);
  auto t = l.try_accept();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), std::errc::resource_unavailable_try_again);
}

// A full listen queue makes a Unix connect fail with EAGAIN; connect retries until its deadline.
TEST_F(Unix, ConnectDeadlineFiresWhenTheQueueIsFull) {
  const auto name = abstract();
  auto l = UnixListener::bind(name, UnixBindOptions{.backlog = 0}).value();
  std::vector<UnixStream> queued;
  std::error_code last;
  for (int i = 0; i < 4 && !last; ++i) {
    auto c = UnixStream::connect(name, Deadline::after(100ms));
    if (c) {
      queued.push_back(std::move(*c));
    } else {
      last = c.error();
    }
  }
  EXPECT_GE(queued.size(), 1u);
  EXPECT_EQ(last, std::errc::timed_out);
  // Once the listener takes one, the next connect gets in.
  auto s = l.accept(Deadline::after(2s));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(UnixStream::connect(name, Deadline::after(2s)));
}

TEST_F(Unix, StaleSocketFileIsRemovedOnlyWhenAsked) {
  const auto p = path("a.sock");
  { auto l = UnixListener::bind(p, UnixBindOptions{.unlink_on_close = false}).value(); }
  ASSERT_TRUE(exists(p.path)) << "left behind, as a crashed server would";
  auto again = UnixListener::bind(p);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), std::errc::address_in_use);
  auto fresh = UnixListener::bind(p, UnixBindOptions{.remove_stale = true});
  ASSERT_TRUE(fresh) << fresh.error().message();
  EXPECT_TRUE(UnixStream::connect(p, Deadline::after(2s)));
}

TEST_F(Unix, RemoveStaleLeavesALiveListenerAlone) {
  const auto p = path("a.sock");
  auto live = UnixListener::bind(p).value();
  auto second = UnixListener::bind(p, UnixBindOptions{.remove_stale = true});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), std::errc::address_in_use);
  auto c = UnixStream::connect(p, Deadline::after(2s));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(live.accept(Deadline::after(2s)));
}

TEST_F(Unix, RemoveStaleLeavesOtherFilesAlone) {
  const auto p = path("plain");
  UniqueFd file(::open(p.path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid());
  file.reset();
  auto l = UnixListener::bind(p, UnixBindOptions{.remove_stale = true});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error(), std::errc::address_in_use);
  EXPECT_TRUE(exists(p.path));
}

TEST_F(Unix, MovedListenerRemovesItsFileOnce) {
  const auto p = path("a.sock");
  UnixListener outer;
  {
    auto inner = UnixListener::bind(p).value();
    outer = std::move(inner);
  }
  EXPECT_TRUE(exists(p.path)) << "the moved-from listener must not remove the file";
  EXPECT_EQ(outer.path(), p);
  outer = UnixListener();
  EXPECT_FALSE(exists(p.path));
}

TEST_F(Unix, StreamPair) {
  auto [a, b] = UnixStream::pair().value();
  ASSERT_EQ(a.write_some(bytes("pair"), Deadline::after(2s)).value(), 4u);
  ASSERT_TRUE(a.shutdown(ShutdownHow::write));
  EXPECT_EQ(read_all(b), "pair");
}

TEST_F(Unix, DatagramBetweenBoundPaths) {
  const auto pa = path("a.sock");
  const auto pb = path("b.sock");
  {
    auto a = UnixDatagram::bind(pa).value();
    auto b = UnixDatagram::bind(pb).value();
    ASSERT_EQ(b.send_to(bytes("dgram"), pa, Deadline::after(2s)).value(), 5u);
    std::array<std::byte, 32> buf{};
    auto d = a.recv_from(buf, Deadline::after(2s));
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(text(buf, d->size), "dgram");
    EXPECT_EQ(d->from, Endpoint(pb));
    EXPECT_FALSE(d->truncated);
  }
  EXPECT_FALSE(exists(pa.path));
  EXPECT_FALSE(exists(pb.path));
}

TEST_F(Unix, DatagramAbstractConnectedAndTruncated) {
  const auto name = abstract();
  auto a = UnixDatagram::bind(name).value();
  auto b = UnixDatagram::open().value();
  ASSERT_TRUE(b.connect(name));
  const std::string hundred(100, 'u');
  ASSERT_EQ(b.send(bytes(hundred), Deadline::after(2s)).value(), 100u);
  std::array<std::byte, 10> small{};
  auto d = a.recv_from(small, Deadline::after(2s));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_TRUE(d->truncated);
  EXPECT_EQ(d->size, 10u);
  EXPECT_EQ(d->real_size, 100u);
  EXPECT_EQ(d->from, Endpoint(UnixPath{})) << "an unbound sender has no name";
}

TEST_F(Unix, DatagramErrorsAndDeadline) {
  auto s = UnixDatagram::open().value();
  auto refused = s.connect(abstract());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), std::errc::connection_refused);
  auto [a, b] = UnixDatagram::pair().value();
  std::array<std::byte, 8> buf{};
  auto d = a.recv(buf, Deadline::after(50ms));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), std::errc::timed_out);
  ASSERT_EQ(b.send(bytes("ok"), Deadline::after(2s)).value(), 2u);
  EXPECT_EQ(a.recv(buf, Deadline::after(2s)).value().size, 2u);
}

}  // namespace
}  // namespace sockit
