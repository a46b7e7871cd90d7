// The likely cause of a TLS failure and its fix, in the words the tool prints. explain() gives
// the client's (the tls category is a CauseCategory); a server's differ where the fault is the
// client's (an untrusted client certificate is fixed with --ssl-verify-client, not --cacert).
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace sockit {

/// Which end of the connection saw the failure.
enum class TlsSide : std::uint8_t { client, server };

/// E.g. "the certificate is not signed by a CA this machine trusts: use --cacert FILE for a
/// private CA, or -k to skip verification"; "" for another category or a reason with nothing
/// useful to add.
std::string_view tls_likely_cause(std::error_code ec, TlsSide side = TlsSide::client) noexcept;

}  // namespace sockit
