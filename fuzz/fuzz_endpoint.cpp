// Fuzzes Endpoint::parse, parse_port, split_host_port and Endpoint::from_sockaddr.
// Invariants: failures carry one of the documented codes and a reason; an accepted endpoint
// survives to_string -> parse and to_sockaddr -> from_sockaddr unchanged (an IPv6 zone written
// as a name is resolved only by to_sockaddr: it fails with no_such_device for a name no
// interface has, else comes back as the same index); a parsed port prints
// back to a text that parses to the same number; raw sockaddr bytes never crash the decoder.
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>

#include "fuzz_support.hpp"
#include "sockit/net/endpoint.hpp"

using sockit::Endpoint;
using sockit::Errc;

namespace {

bool has_written_zone(const Endpoint& e) {
  return e.is_ip() && e.address().is_v6() && !e.address().v6().zone().empty();
}

void check_endpoint(const Endpoint& e) {
  const auto again = Endpoint::parse(e.to_string());
  SOCKIT_FUZZ_CHECK(again && *again == e);
  const auto sa = e.to_sockaddr();
  if (!sa && has_written_zone(e)) {
    SOCKIT_FUZZ_CHECK(sa.error() == std::errc::no_such_device);
    return;
  }
  SOCKIT_FUZZ_CHECK(sa);
  SOCKIT_FUZZ_CHECK(sa->get()->sa_family == e.domain());
  const auto back = Endpoint::from_sockaddr(sa->get(), sa->len);
  SOCKIT_FUZZ_CHECK(back);
  if (has_written_zone(e)) {
    const auto& v6 = e.address().v6();
    SOCKIT_FUZZ_CHECK(back->port() == e.port() && back->address().v6().bytes() == v6.bytes());
    SOCKIT_FUZZ_CHECK(back->address().v6().scope_id() == v6.resolve_scope_id().value());
  } else {
    SOCKIT_FUZZ_CHECK(*back == e);
  }
}

void fuzz_text(std::string_view text) {
  std::string why;
  const auto parsed = Endpoint::parse(text, &why);
  if (parsed) {
    check_endpoint(*parsed);
  } else {
    const auto ec = parsed.error();
    SOCKIT_FUZZ_CHECK(ec == Errc::invalid_endpoint || ec == Errc::invalid_address ||
                      ec == Errc::invalid_port);
    SOCKIT_FUZZ_CHECK(!why.empty());
  }

  why.clear();
  const auto port = sockit::parse_port(text, &why);
  if (port) {
    SOCKIT_FUZZ_CHECK(!text.empty());
    SOCKIT_FUZZ_CHECK(sockit::parse_port(std::to_string(*port)) == *port);
  } else {
    SOCKIT_FUZZ_CHECK(port.error() == Errc::invalid_port && !why.empty());
  }

  why.clear();
  const auto hp = sockit::split_host_port(text, &why);
  if (hp) {
    SOCKIT_FUZZ_CHECK(!hp->host.empty());
    SOCKIT_FUZZ_CHECK(hp->host.size() + hp->port.size() <= text.size());
  } else {
    SOCKIT_FUZZ_CHECK(hp.error() == Errc::invalid_endpoint && !why.empty());
  }
}

// The same bytes read as a kernel sockaddr of that length.
void fuzz_sockaddr(const std::uint8_t* data, std::size_t size) {
  sockaddr_storage storage{};
  const std::size_t len = std::min(size, sizeof storage);
  std::memcpy(&storage, data, len);
  const auto e = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage),
                                         static_cast<socklen_t>(len));
  if (e) {
    (void)e->to_string();
    (void)e->to_sockaddr();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_text(sockit::fuzz::as_text(data, size));
  fuzz_sockaddr(data, size);
  return 0;
}
