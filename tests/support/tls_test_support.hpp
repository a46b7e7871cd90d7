// Test helpers for the TLS engine and streams: certificates written to a scratch directory, a
// bounded in-memory pump between a client and a server TlsSession, byte patterns for bulk
// transfers, and python ssl peers.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>

#include "sockit/tls/session.hpp"
#include "tls/certificate.hpp"

namespace sockit::test {

/// A directory under /tmp removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = "/tmp/sockit_tls_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// Writes `text` to a file of that name and returns its path.
  std::string write(const std::string& name, std::string_view text) const {
    const auto file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

inline std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

/// Moves every byte `from` has to send into `to`. Returns how many moved.
inline std::size_t transfer(TlsSession& from, TlsSession& to) {
  std::size_t moved = 0;
  std::byte chunk[4096];
  for (int i = 0; i < 1000 && from.pending_output() > 0; ++i) {
    const std::size_t n = from.take_output(chunk);
    const std::size_t fed = to.feed(std::span(chunk, n));
    if (fed != n) break;  // the tests' messages are small: a refusal here is a test bug
    moved += n;
  }
  return moved;
}

/// Runs both handshakes to the end (or an error). Returns the client's and the server's last
/// results; bounded to 20 rounds.
struct HandshakeOutcome {
  Result<TlsProgress> client = TlsProgress::want_input;
  Result<TlsProgress> server = TlsProgress::want_input;
};
inline HandshakeOutcome handshake_pair(TlsSession& client, TlsSession& server) {
  HandshakeOutcome out;
  for (int round = 0; round < 20; ++round) {
    out.client = client.handshake();
    transfer(client, server);
    out.server = server.handshake();
    transfer(server, client);
    const bool client_settled = !out.client || *out.client == TlsProgress::done;
    const bool server_settled = !out.server || *out.server == TlsProgress::done;
    if (client_settled && server_settled) {
      out.client = client.handshake();  // the client may still have the server's last flight
      break;
    }
  }
  return out;
}

/// Reads what `session` can decrypt now into a string.
inline std::string read_all(TlsSession& session) {
  std::string text;
  std::byte chunk[4096];
  for (int i = 0; i < 1000; ++i) {
    auto io = session.read(chunk);
    if (!io || io->bytes == 0) break;
    text.append(reinterpret_cast<const char*>(chunk), io->bytes);
  }
  return text;
}

/// A CA and a leaf for localhost / 127.0.0.1 / ::1 signed by it, as files for external peers.
struct TestPki {
  ScratchDir dir;
  tls_detail::MadeCertificate ca = *tls_detail::make_certificate(
      {.common_name = "Test CA", .dns_names = {}, .ip_addresses = {}, .is_ca = true});
  tls_detail::MadeCertificate leaf = *tls_detail::make_certificate({.issuer = &ca});
  std::string ca_file = dir.write("ca.pem", ca.cert_pem);
  std::string cert_file = dir.write("cert.pem", leaf.cert_pem);
  std::string key_file = dir.write("key.pem", leaf.key_pem);
};

/// `size` reproducible bytes from `seed` (every byte value occurs; no period of 256).
inline std::string pattern(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761U + 1;
  for (auto& c : out) {
    x = x * 1664525U + 1013904223U;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

/// A python ssl server (/usr/bin/python3): prints "PORT 127.0.0.1:<n>", serves one client: reads a
/// line, answers "python says: <line>", then unwrap() (close_notify, waits for the client's) and
/// prints "DONE <version>". Arguments: CERT KEY.
inline constexpr std::string_view kPythonLineServer = R"(import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
ls.settimeout(20)
print("PORT 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
c, _ = ls.accept()
c.settimeout(20)
s = ctx.wrap_socket(c, server_side=True)
line = b""
for _ in range(1000):
    chunk = s.recv(4096)
    line += chunk
    if not chunk or line.endswith(b"\n"):
        break
s.sendall(b"python says: " + line)
version = s.version()
s.unwrap()
print("DONE", version, flush=True)
)";

/// A python ssl client: verifies "localhost" against CAFILE, sends "hello from python\n",
/// prints the line it gets back, then unwrap() and prints "CLOSED". Arguments: PORT CAFILE.
inline constexpr std::string_view kPythonLineClient = R"(import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s = ctx.wrap_socket(c, server_hostname="localhost")
s.sendall(b"hello from python\n")
data = b""
for _ in range(1000):
    chunk = s.recv(4096)
    data += chunk
    if not chunk or data.endswith(b"\n"):
        break
sys.stdout.write(data.decode())
version = s.version()
s.unwrap()
print("CLOSED", version, flush=True)
)";

}  // namespace sockit::test
