// Which address of a host name the client commands use, when the name has several (localhost
// is ::1 and 127.0.0.1). TCP can try them in turn and keep the first that accepts; UDP cannot
// (silence proves nothing), so a datagram command takes one address up front, as ncat does.
#pragma once

#include <string_view>
#include <vector>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/net/resolver.hpp"

namespace sockit::cli {

/// The endpoint a datagram client sends to: the first address the system resolver returns
/// (getaddrinfo's RFC 6724 order; /etc/hosts for localhost), which is what ncat -u and nc -u
/// use. sockit's built-in localhost answer (::1 first) is not used here: with an /etc/hosts that
/// maps localhost to 127.0.0.1 only, as many do, the server the user started is on 127.0.0.1.
/// Falls back to the built-in answer only for a localhost name the system does not know.
Result<Endpoint> datagram_target(std::string_view host, std::string_view port, FamilyHint family,
                                 Deadline deadline);

/// Every address of `host`, in the order datagram_target() picks from (its choice first).
Result<std::vector<Endpoint>> datagram_targets(std::string_view host, std::string_view port,
                                               FamilyHint family, Deadline deadline);

/// The endpoint a TCP client that opens many connections (bench) should use: the only address,
/// or, when there are several, the one the connect path (Happy Eyeballs over every address)
/// reaches first. That costs one short probe connection, closed at once.
Result<Endpoint> stream_target(std::string_view host, std::string_view port, FamilyHint family,
                               Deadline deadline);

}  // namespace sockit::cli
