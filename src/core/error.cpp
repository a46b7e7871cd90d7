#include "sockit/core/error.hpp"

#include <netdb.h>

#include <cerrno>
#include <string>

#include "sockit/core/cause_category.hpp"

namespace sockit {
namespace {

class SockitCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sockit"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok:
        return "success";
      case Errc::invalid_address:
        return "invalid IP address";
      case Errc::invalid_prefix:
        return "invalid prefix length or netmask";
      case Errc::invalid_port:
        return "invalid port (expected a number from 0 to 65535)";
      case Errc::invalid_endpoint:
        return "invalid endpoint (expected host:port, [v6]:port or a path)";
      case Errc::line_too_long:
        return "line too long";
      case Errc::frame_too_long:
        return "frame too long";
      case Errc::malformed_frame:
        return "malformed frame";
      case Errc::truncated_datagram:
        return "datagram truncated: larger than the receive buffer";
      case Errc::closed_early:
        return "connection closed by peer before all expected bytes arrived";
      case Errc::resolve_timed_out:
        return "name resolution timed out";
      case Errc::no_addresses:
        return "no usable address for that name";
      case Errc::server_full:
        return "server full";
      case Errc::not_allowed:
        return "address not allowed";
      case Errc::output_limit:
        return "output buffer limit exceeded: peer is not reading";
      case Errc::idle_timeout:
        return "idle timeout";
      case Errc::partial_timeout:
        return "incomplete message timed out";
      case Errc::cancelled:
        return "operation cancelled";
      case Errc::deadline_passed:
        return "the deadline passed before the operation finished";
      case Errc::end_of_stream:
        return "end of stream: the peer closed the connection";
      case Errc::draining:
        return "the server is draining: finish and close";
    }
    return "unknown sockit error " + std::to_string(value);
  }
  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<Errc>(value)) {
      case Errc::idle_timeout:
      case Errc::partial_timeout:
      case Errc::resolve_timed_out:
      case Errc::deadline_passed:
        return std::errc::timed_out;
      case Errc::cancelled:
      case Errc::draining:
        return std::errc::operation_canceled;
      default:
        return {value, *this};
    }
  }
};

// getaddrinfo's codes are negative on glibc; the value stored is the EAI_* code itself.
class GaiCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int value) const override { return ::gai_strerror(value); }
};

}  // namespace

const std::error_category& sockit_category() noexcept {
  static const SockitCategory category;
  return category;
}

const std::error_category& gai_category() noexcept {
  static const GaiCategory category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), sockit_category()};
}

std::error_code sys_error() noexcept {
  return sys_error(errno);
}

std::error_code sys_error(int errno_value) noexcept {
  return {errno_value, std::system_category()};
}

std::error_code gai_error(int eai_code, int saved_errno) noexcept {
  if (eai_code == EAI_SYSTEM && saved_errno != 0) return sys_error(saved_errno);
  return {eai_code, gai_category()};
}

bool is_dns_error(std::error_code ec) noexcept {
  return ec.category() == gai_category() || ec == Errc::resolve_timed_out ||
         ec == Errc::no_addresses;
}

bool is_refused(std::error_code ec) noexcept {
  return ec == std::errc::connection_refused;
}

bool is_timeout(std::error_code ec) noexcept {
  return ec == std::errc::timed_out;
}

std::string_view likely_cause(std::error_code ec, int port) noexcept {
  if (!ec) return {};
  // A layer above core (TLS) knows the causes of its own category's errors.
  if (const auto* own = dynamic_cast<const CauseCategory*>(&ec.category()))
    return own->cause(ec.value());
  if (ec.category() == gai_category()) {
    switch (ec.value()) {
      case EAI_NONAME:
        return "the name does not exist in DNS";
#ifdef EAI_NODATA
      case EAI_NODATA:
        return "the name exists but has no address of the requested family";
#endif
      case EAI_AGAIN:
        return "no DNS server answered: check the network or the resolver";
      case EAI_FAIL:
        return "the DNS server failed permanently for this name";
      case EAI_SERVICE:
        return "unknown service name or port";
      case EAI_FAMILY:
        return "address family not supported";
      default:
        return {};
    }
  }
  if (ec.category() == sockit_category()) {
    switch (static_cast<Errc>(ec.value())) {
      case Errc::resolve_timed_out:
        return "no DNS answer in time: resolver slow or unreachable";
      case Errc::no_addresses:
        return "try the other address family with -4 or -6";
      case Errc::truncated_datagram:
        return "use a larger receive buffer";
      case Errc::closed_early:
        return "the peer closed or crashed mid-message";
      case Errc::end_of_stream:
        return "the peer finished and closed the connection";
      case Errc::server_full:
        return "the server reached its connection cap";
      case Errc::output_limit:
        return "the peer stopped reading";
      // Our own clock ran out: the network may be fine (a server that accepted and never
      // answered gets here), so no firewall guess as for the kernel's ETIMEDOUT.
      case Errc::deadline_passed:
        return "no answer within the time allowed";
      default:
        return {};
    }
  }
  if (ec == std::errc::connection_refused) return "nothing listens on that port";
  if (ec == std::errc::timed_out) return "host down, or a firewall drops the packets";
  if (ec == std::errc::address_in_use) return "another program holds the port";
  if (ec == std::errc::permission_denied) {
    return port >= 0 && port < 1024 ? "ports below 1024 are privileged: use a higher port or root"
                                    : "permission denied by the system";
  }
  if (ec == std::errc::address_not_available) return "that address is not on this machine";
  if (ec == std::errc::network_unreachable) return "no route to that network";
  if (ec == std::errc::host_unreachable) return "no route to that host";
  // Not "refused": that word is for connects (ECONNREFUSED). A reset comes from a peer that
  // crashed, aborted the connection, or closed it with our data still unread.
  if (ec == std::errc::connection_reset)
    return "the peer reset the connection: it crashed, aborted, or closed with data unread";
  if (ec == std::errc::broken_pipe) return "the peer closed its end";
  if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
    return "out of file descriptors: raise ulimit -n or close connections";
  }
  return {};
}

std::string explain(std::error_code ec, std::string_view what, int port) {
  std::string line(what);
  line += ": ";
  line += ec.message();
  if (auto cause = likely_cause(ec, port); !cause.empty()) {
    line += " (";
    line += cause;
    line += ')';
  }
  return line;
}

}  // namespace sockit
