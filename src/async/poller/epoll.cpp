// The epoll backend of Poller. The only file that includes <sys/epoll.h>.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "sockit/async/poller.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit {
namespace {

std::uint32_t to_epoll(std::uint32_t interest) noexcept {
  std::uint32_t ev = 0;
  if ((interest & kPollRead) != 0) ev |= EPOLLIN | EPOLLRDHUP;
  if ((interest & kPollWrite) != 0) ev |= EPOLLOUT;
  return ev;
}

std::uint32_t from_epoll(std::uint32_t ev) noexcept {
  std::uint32_t out = 0;
  // A peer's FIN (EPOLLRDHUP) is only a half-close: we may still owe it output, so it is
  // reported as readable (recv() returns the data before it, then 0), never as hang-up.
  // Hang-up is EPOLLHUP alone: both directions are gone and nothing more can be written.
  if ((ev & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) != 0) out |= kPollRead;
  if ((ev & EPOLLOUT) != 0) out |= kPollWrite;
  if ((ev & EPOLLERR) != 0) out |= kPollError;
  if ((ev & EPOLLHUP) != 0) out |= kPollHangup;
  return out;
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(UniqueFd epfd) : epfd_(std::move(epfd)) {}

  Status add(int fd, std::uint32_t interest, void* token) override {
    return control(EPOLL_CTL_ADD, fd, interest, token);
  }
  Status modify(int fd, std::uint32_t interest, void* token) override {
    return control(EPOLL_CTL_MOD, fd, interest, token);
  }
  Status remove(int fd) override { return control(EPOLL_CTL_DEL, fd, 0, nullptr); }

  Result<std::size_t> wait(std::span<PollEvent> out, int timeout_ms) override {
    // One kernel array reused for every call: no allocation per wait, one syscall per loop turn.
    if (ready_.size() < out.size()) ready_.resize(out.size());
    const int max = static_cast<int>(out.size());
    const int n = ::epoll_wait(epfd_.get(), ready_.data(), max, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) return std::size_t{0};
      return fail(sys_error());
    }
    for (int i = 0; i < n; ++i) {
      const auto idx = static_cast<std::size_t>(i);
      out[idx] = PollEvent{ready_[idx].data.ptr, from_epoll(ready_[idx].events)};
    }
    return static_cast<std::size_t>(n);
  }

 private:
  Status control(int op, int fd, std::uint32_t interest, void* token) {
    epoll_event ev{};
    ev.events = to_epoll(interest);
    ev.data.ptr = token;
    if (::epoll_ctl(epfd_.get(), op, fd, &ev) != 0) return fail(sys_error());
    return {};
  }

  UniqueFd epfd_;
  std::vector<epoll_event> ready_;
};

}  // namespace

Result<std::unique_ptr<Poller>> Poller::create() {
  UniqueFd epfd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epfd) return fail(sys_error());
  return std::unique_ptr<Poller>(std::make_unique<EpollPoller>(std::move(epfd)));
}

}  // namespace sockit
