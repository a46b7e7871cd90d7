// Helpers for the tests of `sockit connect --ssl` and `sockit listen --ssl`: a private CA and
// certificates made in memory (good, expired, not yet valid, for other names), written to a
// scratch directory; TLS peers started on free loopback ports (openssl s_server, a python ssl
// server with several behaviours); the sockit binary run with input.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"
#include "support/tls_test_support.hpp"

namespace sockit::test {

using tls_detail::CertificateSpec;
using tls_detail::MadeCertificate;
using tls_detail::make_certificate;

inline std::vector<std::string> sockit_argv(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return args;
}

inline RunResult sockit(std::vector<std::string> args, std::string_view input = {}) {
  return run(sockit_argv(std::move(args)), input, milliseconds(30000));
}

/// A certificate and its key as files.
struct CertFiles {
  std::string cert, key, fingerprint;
};

/// A private CA and certificates it signs, as PEM files in a scratch directory.
struct Pki {
  ScratchDir dir;
  MadeCertificate ca = *make_certificate(
      {.common_name = "sockit test CA", .dns_names = {}, .ip_addresses = {}, .is_ca = true});
  std::string ca_file = dir.write("ca.pem", ca.cert_pem);
  /// localhost, 127.0.0.1 and ::1, valid now.
  CertFiles server = issue("server", {});
  CertFiles client = issue("client", {.common_name = "sockit test client"});

  /// A certificate signed by the CA (or self-signed with `self_signed`), written as NAME.pem
  /// and NAME.key.
  CertFiles issue(const std::string& name, CertificateSpec spec, bool self_signed = false) {
    if (!self_signed) spec.issuer = &ca;
    auto made = make_certificate(spec);
    if (!made) return {};
    return {dir.write(name + ".pem", made->cert_pem), dir.write(name + ".key", made->key_pem),
            made->fingerprint};
  }
};

/// `openssl s_server` on a port it picks itself (it prints "ACCEPT 127.0.0.1:PORT"), serving
/// one connection after another until the test ends. `-rev` answers each line reversed.
struct SServer {
  Process process;
  int port = 0;
  SServer(const CertFiles& cert, std::vector<std::string> extra)
      : process([&] {
          std::vector<std::string> argv{"openssl", "s_server", "-accept", "127.0.0.1:0",
                                        "-cert",   cert.cert,  "-key",    cert.key};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    constexpr std::string_view kMarker = "ACCEPT 127.0.0.1:";
    if (process.wait_stdout(kMarker, milliseconds(10000))) {
      process.wait_stdout("\n", milliseconds(2000));
      port = std::atoi(process.out().c_str() + process.out().find(kMarker) + kMarker.size());
    }
  }
  std::string port_text() const { return std::to_string(port); }
};

/// A TLS server in python's ssl module (/usr/bin/python3), one connection, in one of these modes:
///   echo      read until the client's close_notify, send it all back, then close_notify
///   truncate  read until the client's close_notify, send "partial\n", close without close_notify
/// With `client_ca` it requires a client certificate signed by that CA. It prints "PORT n" once
/// listening ("PORT 127.0.0.1:n") and "RECEIVED <bytes> <sha256>" when the client's direction is
/// over.
struct PythonTlsServer {
  static constexpr std::string_view kScript = R"py(
import hashlib, os, socket, ssl, sys
mode, cert, key, client_ca = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if client_ca:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(client_ca)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
print("PORT 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
raw, _ = ls.accept()
raw.settimeout(30)
try:
    s = ctx.wrap_socket(raw, server_side=True)
    got = bytearray()
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        got += chunk
except (ssl.SSLError, OSError) as e:
    print("FAILED", e, flush=True)
    sys.exit(1)
print("RECEIVED", len(got), hashlib.sha256(got).hexdigest(), flush=True)
if mode == "truncate":
    s.sendall(b"partial\n")
    os._exit(0)
s.sendall(got)
s.unwrap()
)py";
  ScratchDir dir;
  Process process;
  int port = 0;
  PythonTlsServer(const std::string& mode, const CertFiles& cert, const std::string& client_ca = {})
      : process({"/usr/bin/python3", dir.write("server.py", kScript), mode, cert.cert, cert.key,
                 client_ca}) {
    if (process.wait_stdout("\n", milliseconds(10000))) port = port_after(process.out(), "PORT ");
  }
  std::string port_text() const { return std::to_string(port); }
};

/// The SHA-256 of a file's contents in hex, as `sha256sum` computes it.
inline std::string sha256_of_file(const std::string& path) {
  auto r = run({"sha256sum", path});
  return r.out.substr(0, r.out.find(' '));
}

}  // namespace sockit::test
