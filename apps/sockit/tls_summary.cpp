// What `connect --ssl -v` and `-z --ssl` show about a session, and the fix the tool adds to a
// TLS failure.
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "sockit/tls/causes.hpp"
#include "tls_options.hpp"

namespace sockit::cli {

// The library's table (sockit/tls/causes.hpp), which explain() reads too.
std::string_view tls_cause(std::error_code ec, bool server) noexcept {
  return tls_likely_cause(ec, server ? TlsSide::server : TlsSide::client);
}

namespace {

std::string utc_text(std::int64_t epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::int64_t days_left(std::int64_t not_after) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::int64_t left = not_after - now;
  return left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

std::vector<std::string> tls_summary(const TlsSession& session, std::string_view verification) {
  const std::string alpn = session.alpn();
  std::vector<std::string> lines{fmt::format("TLS: {}, cipher {}, ALPN {}", session.protocol(),
                                             session.cipher(), alpn.empty() ? "none" : alpn)};
  if (auto cert = session.peer_certificate()) {
    const std::int64_t left = days_left(cert->not_after);
    lines.push_back("certificate subject: " + cert->subject);
    lines.push_back("certificate issuer: " + cert->issuer);
    lines.push_back("certificate SANs: " + (cert->sans.empty() ? "none" : joined(cert->sans)));
    lines.push_back(fmt::format(
        "certificate valid from {} to {}, {}", utc_text(cert->not_before),
        utc_text(cert->not_after),
        left >= 0 ? fmt::format("{} days left", left) : fmt::format("expired {} days ago", -left)));
    lines.push_back("certificate SHA-256: " + session.peer_fingerprint());
  } else {
    lines.push_back("certificate: none");
  }
  lines.push_back("verification: " + std::string(verification));
  return lines;
}

nlohmann::json tls_summary_json(const TlsSession& session, std::string_view verification,
                                double handshake_ms) {
  const std::string alpn = session.alpn();
  nlohmann::json doc{{"version", session.protocol()},
                     {"cipher", session.cipher()},
                     {"alpn", alpn.empty() ? nlohmann::json(nullptr) : nlohmann::json(alpn)},
                     {"verified", verification.starts_with("OK")},
                     {"verification", verification},
                     {"handshake_ms", handshake_ms}};
  if (auto cert = session.peer_certificate()) {
    doc["certificate"] = {{"subject", cert->subject},
                          {"issuer", cert->issuer},
                          {"sans", cert->sans},
                          {"not_before", utc_text(cert->not_before)},
                          {"not_after", utc_text(cert->not_after)},
                          {"days_left", days_left(cert->not_after)},
                          {"sha256", session.peer_fingerprint()}};
  }
  return doc;
}

}  // namespace sockit::cli
