// Links sockit from an install and uses one value type and one OS call; exits 0 on success.
// Includes the umbrella header: every installed header must compile from the package alone.
#include <sockit/sockit.hpp>

#include <cstdio>

int main() {
  auto addr = sockit::IPv4Address::parse("192.168.1.10");
  if (!addr || addr->to_uint() != 0xc0a8010aU) return 1;
  auto fds = sockit::count_open_fds();
  if (!fds || *fds < 3) return 2;
  // The TLS layer links OpenSSL through the package: a generated certificate has a fingerprint.
  auto tls = sockit::TlsServerContext::create();
  if (!tls || tls->fingerprint().size() != 95) return 3;
  // The redis layer links hiredis through the package: nothing listens on port 1.
  auto redis = sockit::RedisBlocking::connect("127.0.0.1", 1, sockit::Millis(1000));
  if (redis || redis.error() != std::errc::connection_refused) return 4;
  std::puts(sockit::explain(sockit::sys_error(111), "consumer check").c_str());
  return 0;
}
