// Test helpers for the TLS engine: certificates written to a scratch directory, and a bounded
// in-memory pump between a client and a server TlsSession.
#pragma once

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

}  // namespace sockit::test
