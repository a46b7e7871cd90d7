// Private: certificates made in memory. The server's throwaway self-signed certificate comes
// from here, and the tests mint their CAs, expired and mismatched certificates with it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sockit/core/error.hpp"

namespace sockit::tls_detail {

struct MadeCertificate {
  std::string cert_pem;
  std::string key_pem;      // PKCS#8, unencrypted
  std::string fingerprint;  // SHA-256, colon hex
};

struct CertificateSpec {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names{"localhost"};
  std::vector<std::string> ip_addresses{"127.0.0.1", "::1"};
  /// Validity relative to now (negative: in the past).
  std::chrono::seconds not_before = std::chrono::hours(-1);
  std::chrono::seconds not_after = std::chrono::hours(24 * 30);
  bool is_ca = false;
  /// Signs with this certificate's key; null: self-signed.
  const MadeCertificate* issuer = nullptr;
};

/// A new EC P-256 key and an X.509 v3 certificate for it, signed with SHA-256.
[[nodiscard]] Result<MadeCertificate> make_certificate(const CertificateSpec& spec);

}  // namespace sockit::tls_detail
