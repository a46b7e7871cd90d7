// Fuzzes the TLS record-feeding path (TlsSession over memory BIOs, src/tls/session.cpp): the
// input is the peer's ciphertext for a client or a server session, fed in chunks cut by a
// feeding plan, with the session driven after every chunk as TlsStream drives it (read, write,
// take_output). Input layout: byte 0 = flags (bit 0 server, bit 1 end with EOF, bit 2 also
// write plaintext), then a feeding plan and the stream (see fuzz_support.hpp). Invariants:
//  - feed() never takes more than it was given nor more than kMaxBufferedInput;
//  - read() and take_output() never report more bytes than the span they were given, and
//    plaintext comes only with TlsProgress::done;
//  - write() never reports more than it was given;
//  - errors are sticky: after a failure, handshake() fails with the session's first error;
//  - every loop ends: pending output drains, and a session that takes no input is not fed.
// The seeds in corpus/tls_pump hold a real ClientHello and a real server first flight.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/session.hpp"

using sockit::TlsProgress;
using sockit::TlsSession;

namespace {

struct Contexts {
  sockit::TlsServerContext server = *sockit::TlsServerContext::create({});
  // Verification on, against the generated certificate: the fuzzer also reaches the checks.
  sockit::TlsClientContext client =
      *sockit::TlsClientContext::create({.pin_sha256 = server.fingerprint()});
};

const Contexts& contexts() {
  static const Contexts c;
  return c;
}

void drain(TlsSession& s) {
  std::array<std::byte, 4096> out;
  for (int i = 0; i < 10000 && s.pending_output() > 0; ++i) {
    const std::size_t before = s.pending_output();
    const std::size_t n = s.take_output(out);
    SOCKIT_FUZZ_CHECK(n <= out.size());
    SOCKIT_FUZZ_CHECK(n > 0 && s.pending_output() == before - n);
  }
  SOCKIT_FUZZ_CHECK(s.pending_output() == 0);
}

void check_sticky(TlsSession& s) {
  if (!s.error()) return;
  auto again = s.handshake();
  SOCKIT_FUZZ_CHECK(!again && again.error() == s.error());
}

// One round of driving, as a stream would after new input arrived.
void step(TlsSession& s, bool write_too) {
  std::array<std::byte, 1024> plain;
  for (int i = 0; i < 100; ++i) {
    auto io = s.read(plain);
    drain(s);
    if (!io) {
      SOCKIT_FUZZ_CHECK(io.error() == s.error());
      check_sticky(s);
      return;
    }
    SOCKIT_FUZZ_CHECK(io->bytes <= plain.size());
    if (io->bytes > 0) SOCKIT_FUZZ_CHECK(io->progress == TlsProgress::done);
    if (io->bytes == 0) break;
  }
  if (write_too) {
    static constexpr char kText[] = "plaintext from the fuzzer";
    const auto text = std::as_bytes(std::span(kText));
    auto w = s.write(text);
    drain(s);
    if (w) SOCKIT_FUZZ_CHECK(w->bytes <= text.size());
  }
  check_sticky(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool server = (data[0] & 1) != 0;
  const bool end_with_eof = (data[0] & 2) != 0;
  const bool write_too = (data[0] & 4) != 0;
  const auto plan = sockit::fuzz::make_plan(data + 1, size - 1);
  auto session = server ? TlsSession::server(contexts().server)
                        : TlsSession::client(contexts().client, "localhost");
  SOCKIT_FUZZ_CHECK(session.has_value());
  auto hello = session->handshake();  // a client's ClientHello goes out first
  drain(*session);
  SOCKIT_FUZZ_CHECK(hello.has_value());
  for (const auto chunk : plan.chunks()) {
    auto bytes = std::as_bytes(std::span(chunk.data(), chunk.size()));
    for (int i = 0; i < 1000 && !bytes.empty(); ++i) {
      const std::size_t fed = session->feed(bytes);
      SOCKIT_FUZZ_CHECK(fed <= bytes.size() && fed <= TlsSession::kMaxBufferedInput);
      bytes = bytes.subspan(fed);
      step(*session, write_too);
      if (fed == 0) break;  // full (or failed): what it refused is dropped, as a bounded test
    }
  }
  if (end_with_eof) {
    session->feed_eof();
    step(*session, write_too);
  }
  return 0;
}
