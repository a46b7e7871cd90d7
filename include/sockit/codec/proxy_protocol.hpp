// PROXY protocol header codec (sans-I/O), versions 1 and 2 (HAProxy's `send-proxy` and
// `send-proxy-v2`): the few bytes a load balancer sends first on a connection to say who the
// client really is. Bytes in, a header (or "need more", or one precise error) out; no socket.
//
//   v1: "PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\n"   text, at most 107 bytes
//       "PROXY TCP6 2001:db8::7 2001:db8::1 41000 443\r\n"
//       "PROXY UNKNOWN[ anything]\r\n"                          the proxy does not know
//   v2: \r\n\r\n\0\r\nQUIT\n (12-byte signature) | ver/cmd | family/transport | u16 BE length
//       | addresses (IPv4 12, IPv6 36, Unix 216 bytes) | TLVs (type, u16 BE length, value)
//       LOCAL (cmd 0): the proxy speaks for itself (health checks): no client address.
//
// The header is always a prefix of the stream: what follows it is the client's payload, which
// the codec never takes (ProxyParse::header.size says where the payload starts). TLVs are
// checked to tile the announced length exactly (none may run past it) and are otherwise skipped.
// An error is known as early as the bytes allow: a first byte that is neither 'P' nor '\r' is
// wrong_signature at once, a v2 length over the limit as soon as the 16 fixed bytes are in.
//
// Thread rule: parse_proxy_header is pure; ProxyHeaderDecoder has a single owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/net/endpoint.hpp"

namespace sockit {

enum class ProxyErrc {
  ok = 0,
  wrong_signature = 1,  ///< the bytes start neither "PROXY " (v1) nor the v2 signature
  malformed,            ///< a field that breaks the grammar (bad address, port, CRLF, TLV...)
  unsupported_version,  ///< v2 signature with a version nibble other than 2
  unsupported_command,  ///< v2 command other than LOCAL (0) or PROXY (1)
  unsupported_family,   ///< v1 protocol other than TCP4/TCP6/UNKNOWN; v2 family/transport byte
                        ///< outside the seven the specification defines
  oversized,            ///< v1 line without CRLF within 107 bytes; v2 over ProxyLimits
  truncated,            ///< the stream ended in the middle of a header
  missing,              ///< the stream ended before the first byte of a header
  // Refusals by a server reading headers (not produced by the codec itself):
  untrusted_source,  ///< the connection does not come from a trusted proxy (--proxy-from)
  timed_out,         ///< no complete header before the server's deadline
};

const std::error_category& proxy_category() noexcept;
std::error_code make_error_code(ProxyErrc e) noexcept;

enum class ProxyCommand : std::uint8_t { proxy, local };
/// unspec: v1 UNKNOWN, v2 AF_UNSPEC (or LOCAL); local: v2 AF_UNIX (no IP address to report;
/// not spelled `unix`, which GNU dialects of C++ define as a macro).
enum class ProxyFamily : std::uint8_t { unspec, inet, inet6, local };

struct ProxyHeader {
  std::uint8_t version = 0;  ///< 1 or 2
  ProxyCommand command = ProxyCommand::proxy;
  ProxyFamily family = ProxyFamily::unspec;
  bool datagram = false;  ///< v2 transport DGRAM (UDP or Unix datagram)
  /// The client and the address it connected to, for family inet/inet6 with command proxy;
  /// absent otherwise (the receiver keeps the connection's own addresses).
  std::optional<Endpoint> source, destination;
  std::size_t size = 0;  ///< bytes the header took: the payload starts here
};

struct ProxyLimits {
  static constexpr std::size_t kV1MaxBytes = 107;  ///< the specification's bound, CRLF included
  static constexpr std::size_t kV2FixedBytes = 16;
  /// Largest v2 header accepted, the 16 fixed bytes included (addresses + TLVs: HAProxy sends a
  /// few hundred bytes at most, with SSL and unique-id TLVs). At least 16 + 216 is sensible.
  std::size_t max_v2_bytes = 4096;
};

enum class ProxyStatus : std::uint8_t { need_more, complete, error };

struct ProxyParse {
  ProxyStatus status = ProxyStatus::need_more;
  ProxyHeader header;     ///< when complete
  std::error_code error;  ///< when error (proxy_category())
};

/// Parses the header at the start of `bytes` (everything received so far). need_more while
/// `bytes` is a valid proper prefix of a header; complete with header.size <= bytes.size();
/// or the first rule broken.
[[nodiscard]] ProxyParse parse_proxy_header(std::string_view bytes,
                                            const ProxyLimits& limits = {}) noexcept;

/// The incremental form: feed the stream chunk by chunk as it arrives.
class ProxyHeaderDecoder {
 public:
  explicit ProxyHeaderDecoder(ProxyLimits limits = {}) : limits_(limits) {}

  /// Takes the next chunk. complete: `consumed` is how many bytes of this chunk belong to the
  /// header (the rest of the chunk is payload); need_more: all of it was taken. After complete
  /// or error, further calls return the same outcome and take nothing.
  struct Step {
    ProxyParse parse;
    std::size_t consumed = 0;
  };
  Step feed(std::string_view chunk);
  /// The stream ended: truncated (or missing, when nothing came) unless already complete.
  ProxyParse finish();
  /// Bytes held of an unfinished header.
  std::size_t buffered() const noexcept { return held_.size(); }

 private:
  ProxyLimits limits_;
  std::string held_;
  ProxyParse last_;
};

/// The v1 line for `header` ("PROXY UNKNOWN\r\n" without a source and destination of the same
/// family), and the v2 block (LOCAL, or PROXY with addresses; no TLVs). For tests and clients.
std::string encode_proxy_v1(const ProxyHeader& header);
std::string encode_proxy_v2(const ProxyHeader& header);

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::ProxyErrc> : std::true_type {};
