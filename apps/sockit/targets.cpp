#include "targets.hpp"

#include <algorithm>
#include <span>
#include <string>

#include "sockit/stream/tcp.hpp"

namespace sockit::cli {
namespace {

// "localhost", "localhost." and "*.localhost" (RFC 6761), as the resolver's built-in answer
// recognises them.
bool is_localhost_name(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  std::string lower(host);
  std::ranges::transform(lower, lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lower == "localhost" || lower.ends_with(".localhost");
}

}  // namespace

Result<Endpoint> datagram_target(std::string_view host, std::string_view port, FamilyHint family,
                                 Deadline deadline) {
  auto endpoints = datagram_targets(host, port, family, deadline);
  if (!endpoints) return fail(endpoints.error());
  return endpoints->front();
}

Result<std::vector<Endpoint>> datagram_targets(std::string_view host, std::string_view port,
                                               FamilyHint family, Deadline deadline) {
  ResolveOptions options;
  options.family = family;
  options.transport = Transport::udp;
  options.deadline = deadline;
  options.builtin_localhost = false;
  auto endpoints = resolve(host, port, options);
  if (!endpoints && is_localhost_name(host)) {
    options.builtin_localhost = true;
    endpoints = resolve(host, port, options);
  }
  return endpoints;
}

Result<Endpoint> stream_target(std::string_view host, std::string_view port, FamilyHint family,
                               Deadline deadline) {
  ResolveOptions options;
  options.family = family;
  options.deadline = deadline;
  auto endpoints = resolve(host, port, options);
  if (!endpoints) return fail(endpoints.error());
  if (endpoints->size() == 1) return endpoints->front();
  ConnectOptions connect;
  connect.family = family;
  connect.deadline = deadline;
  auto probe = TcpStream::connect(std::span<const Endpoint>(*endpoints), connect);
  if (!probe) return fail(probe.error());
  return probe->peer_endpoint();
}

}  // namespace sockit::cli
