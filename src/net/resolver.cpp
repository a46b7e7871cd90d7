#include "sockit/net/resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "net/resolver_testing.hpp"
#include "sockit/core/unique_fd.hpp"

namespace sockit {
namespace {

std::atomic<detail::GetAddrInfoFn> g_getaddrinfo{nullptr};

int call_getaddrinfo(const char* host, const char* service, const addrinfo* hints,
                     addrinfo** result) {
  auto fn = g_getaddrinfo.load(std::memory_order_acquire);
  return fn != nullptr ? fn(host, service, hints, result)
                       : ::getaddrinfo(host, service, hints, result);
}

// ---- the bounded pool of worker threads ------------------------------------------------------

class ThreadSlots {
 public:
  /// Takes a slot, waiting until one is free or the deadline passes.
  bool acquire(Deadline deadline) {
    std::unique_lock lock(mutex_);
    return freed_.wait_until(lock, deadline.at(), [&] {
      if (alive_ >= kMaxLookupThreads) return false;
      ++alive_;
      return true;
    });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      --alive_;
    }
    freed_.notify_one();
  }
  std::size_t alive() {
    std::lock_guard lock(mutex_);
    return alive_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t alive_ = 0;
};

// Deliberately never destroyed: an abandoned worker may still release its slot while the
// process runs its static destructors at exit.
ThreadSlots& slots() {
  static auto* instance = new ThreadSlots;
  return *instance;
}

/// What the caller and its worker share; whichever drops the last reference frees it.
template <class T>
struct Shared {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  Result<T> result = fail(Errc::cancelled);
};

/// Runs `work` (a callable returning Result<T>) so that the caller returns by the deadline.
template <class T, class Work>
Result<T> run_with_deadline(Work work, Deadline deadline) {
  if (deadline.is_never()) return work();
  if (deadline.expired() || !slots().acquire(deadline)) return fail(Errc::resolve_timed_out);
  auto shared = std::make_shared<Shared<T>>();
  try {
    std::thread([shared, work = std::move(work)]() mutable {
      Result<T> result = work();
      {
        std::lock_guard lock(shared->mutex);
        shared->result = std::move(result);
        shared->done = true;
      }
      shared->finished.notify_one();
      shared.reset();
      slots().release();
    }).detach();
  } catch (const std::system_error& e) {  // no thread could be started (EAGAIN)
    slots().release();
    return fail(e.code());
  }
  std::unique_lock lock(shared->mutex);
  if (!shared->finished.wait_until(lock, deadline.at(), [&] { return shared->done; })) {
    return fail(Errc::resolve_timed_out);
  }
  return std::move(shared->result);
}

// ---- conversions -----------------------------------------------------------------------------

int to_af(FamilyHint family) {
  switch (family) {
    case FamilyHint::v4:
      return AF_INET;
    case FamilyHint::v6:
      return AF_INET6;
    case FamilyHint::any:
      break;
  }
  return AF_UNSPEC;
}

addrinfo make_hints(const ResolveOptions& options, int flags) {
  addrinfo hints{};
  hints.ai_family = to_af(options.family);
  hints.ai_socktype = options.transport == Transport::udp ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = flags | (options.passive ? AI_PASSIVE : 0);
  return hints;
}

void add_unique(std::vector<Endpoint>& out, Endpoint endpoint) {
  if (std::find(out.begin(), out.end(), endpoint) == out.end()) out.push_back(std::move(endpoint));
}

/// One getaddrinfo call, turned into deduplicated endpoints (in the order given).
Result<std::vector<Endpoint>> lookup(const std::string& host, const std::string& service,
                                     const addrinfo& hints) {
  addrinfo* list = nullptr;
  const int rc =
      call_getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
  const int saved_errno = errno;
  if (rc != 0) return fail(gai_error(rc, saved_errno));
  std::vector<Endpoint> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    if (auto endpoint = Endpoint::from_sockaddr(ai->ai_addr, ai->ai_addrlen)) {
      add_unique(out, std::move(*endpoint));
    }
  }
  ::freeaddrinfo(list);
  if (out.empty()) return fail(Errc::no_addresses);
  return out;
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A service that looks numeric but is no valid port. glibc's getaddrinfo would silently
/// wrap "65536" to port 0; we refuse it instead.
bool bad_numeric_service(std::string_view service) {
  return all_digits(service) && !parse_port(service).has_value();
}

/// The port for a service: a number, "" (0), or a name from /etc/services (no DNS involved).
Result<std::uint16_t> service_port(std::string_view service, const ResolveOptions& options) {
  if (service.empty()) return std::uint16_t{0};
  if (auto port = parse_port(service)) return *port;
  if (bad_numeric_service(service)) return fail(Errc::invalid_port);
  ResolveOptions v4 = options;
  v4.family = FamilyHint::v4;
  v4.passive = false;
  auto found = lookup("127.0.0.1", std::string(service), make_hints(v4, AI_NUMERICHOST));
  if (!found) return fail(found.error());
  return found->front().port();
}

bool family_allowed(Family family, FamilyHint hint) {
  return hint == FamilyHint::any || (hint == FamilyHint::v4) == (family == Family::v4);
}

bool is_localhost_name(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  constexpr std::string_view kName = "localhost";
  if (host.size() < kName.size()) return false;
  const auto tail = host.substr(host.size() - kName.size());
  const bool match = std::equal(tail.begin(), tail.end(), kName.begin(), [](char a, char b) {
    return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
  });
  return match && (host.size() == kName.size() || host[host.size() - kName.size() - 1] == '.');
}

/// Whether [::1] can be bound here, probed once: a host without IPv6 loopback should not be
/// offered ::1 for "localhost".
bool ipv6_loopback_available() {
  static const bool available = [] {
    auto addr = Endpoint(IPv6Address::loopback(), 0).to_sockaddr();
    UniqueFd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    return addr && fd && ::bind(fd.get(), addr->get(), addr->len) == 0;
  }();
  return available;
}

Result<std::vector<Endpoint>> resolve_localhost(std::string_view service,
                                                const ResolveOptions& options) {
  auto port = service_port(service, options);
  if (!port) return fail(port.error());
  std::vector<Endpoint> out;
  // RFC 6724's default policy table ranks ::1 (precedence 50) above IPv4 (35).
  if (options.family != FamilyHint::v4 && ipv6_loopback_available()) {
    out.emplace_back(IPv6Address::loopback(), *port);
  }
  if (options.family != FamilyHint::v6) out.emplace_back(IPv4Address::loopback(), *port);
  if (out.empty()) return fail(Errc::no_addresses);
  return out;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

Result<std::vector<Endpoint>> resolve(std::string_view host, std::string_view service,
                                      const ResolveOptions& options) {
  host = strip_brackets(host);
  if (auto literal = IpAddress::parse(host)) {
    if (!family_allowed(literal->family(), options.family)) return fail(gai_error(EAI_ADDRFAMILY));
    auto port = service_port(service, options);
    if (!port) return fail(port.error());
    return std::vector<Endpoint>{Endpoint(*literal, *port)};
  }
  if (options.builtin_localhost && is_localhost_name(host)) {
    return resolve_localhost(service, options);
  }
  if (bad_numeric_service(service)) return fail(Errc::invalid_port);
  const bool numeric_service = service.empty() || parse_port(service).has_value();
  const addrinfo hints = make_hints(options, numeric_service ? AI_NUMERICSERV : 0);
  std::string host_text(host);
  std::string service_text = service.empty() ? std::string("0") : std::string(service);
  if (host.empty()) return lookup(host_text, service_text, hints);  // no DNS for a null host
  return run_with_deadline<std::vector<Endpoint>>(
      [host_text = std::move(host_text), service_text = std::move(service_text), hints] {
        return lookup(host_text, service_text, hints);
      },
      options.deadline);
}

Result<std::string> reverse_lookup(const IpAddress& address, Deadline deadline) {
  auto addr = Endpoint(address, 0).to_sockaddr();
  if (!addr) return fail(addr.error());
  return run_with_deadline<std::string>(
      [addr = *addr]() -> Result<std::string> {
        char host[NI_MAXHOST];
        const int rc =
            ::getnameinfo(addr.get(), addr.len, host, sizeof host, nullptr, 0, NI_NAMEREQD);
        const int saved_errno = errno;
        if (rc != 0) return fail(gai_error(rc, saved_errno));
        return std::string(host);
      },
      deadline);
}

namespace detail {

void set_getaddrinfo_for_testing(GetAddrInfoFn fn) noexcept {
  g_getaddrinfo.store(fn, std::memory_order_release);
}

std::size_t lookup_threads_alive() noexcept {
  return slots().alive();
}

}  // namespace detail
}  // namespace sockit
