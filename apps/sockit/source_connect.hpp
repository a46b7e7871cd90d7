// connect -s ADDR (nc -s, ncat -s): connections that leave from a chosen local address.
// The library's connect path picks its own source; this binds one first.
#pragma once

#include <string_view>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/address.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/udp.hpp"

namespace sockit::cli {

/// TCP from `source` (port 0: the kernel picks one): tries HOST's addresses of `source`'s
/// family in resolver order, one at a time, all under `deadline`, reporting each to
/// `observer`. A host without an address of that family fails as the resolver says (a DNS
/// error, exit 3). Of several failed attempts, the last one's error is returned.
Result<TcpStream> connect_from(const IpAddress& source, std::string_view host,
                               std::string_view port, Deadline deadline,
                               const ConnectObserver& observer);

/// A UDP socket bound to `source` (port 0) and connected to HOST's address of that family that
/// datagram_target() picks.
Result<UdpSocket> udp_from(const IpAddress& source, std::string_view host, std::string_view port,
                           Deadline deadline);

}  // namespace sockit::cli
