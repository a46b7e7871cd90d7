// Message digests the protocols above need, computed by OpenSSL (the only library that sockit
// trusts with cryptography, and the one place its headers are included is src/tls/).
#pragma once

#include <string>
#include <string_view>

#include "sockit/core/error.hpp"

namespace sockit {

/// HMAC-MD5 (RFC 2104) of `data` under `key`, as 32 lower-case hex digits: the digest that
/// SASL CRAM-MD5 (RFC 2195) sends. MD5 is weak as a hash; CRAM-MD5 keeps the password off the
/// wire, which is all it is used for here. Fails (an OpenSSL error in the "tls" category) only
/// when the OpenSSL build refuses MD5 (a FIPS-only configuration). Thread-safe.
[[nodiscard]] Result<std::string> hmac_md5_hex(std::string_view key, std::string_view data);

}  // namespace sockit
