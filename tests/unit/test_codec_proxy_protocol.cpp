// The PROXY protocol codec: v1 and v2 headers (TCP4, TCP6, UNKNOWN, LOCAL, AF_UNIX), each fed at
// every split point and byte by byte; what follows a header is left as payload; each broken rule
// has its own error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/codec/proxy_protocol.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;

const std::string kSig = "\r\n\r\n\0\r\nQUIT\n"s;

std::string be16(unsigned v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

// A v2 header: ver/cmd byte, family byte, then `block` (addresses + TLVs) with its length.
std::string v2(unsigned ver_cmd, unsigned fam, const std::string& block) {
  return kSig + static_cast<char>(ver_cmd) + static_cast<char>(fam) +
         be16(static_cast<unsigned>(block.size())) + block;
}

const std::string kV4Block =
    "\xcb\x00\x71\x07"s  // 203.0.113.7
    "\xc6\x33\x64\x01"s  // 198.51.100.1
    + be16(41000) + be16(443);

std::string v6_block() {
  std::string b(16, '\0');  // 2001:db8::7
  b[0] = '\x20';
  b[1] = '\x01';
  b[2] = '\x0d';
  b[3] = '\xb8';
  b[15] = '\x07';
  std::string d(16, '\0');  // ::1
  d[15] = '\x01';
  return b + d + be16(5000) + be16(80);
}

// Feeds `stream` cut at `split` (and, with `bytewise`, one byte at a time) and returns the parse
// and the bytes consumed in total.
struct Fed {
  ProxyParse parse;
  std::size_t consumed = 0;
};
Fed feed_split(const std::string& stream, std::size_t split, bool bytewise = false) {
  ProxyHeaderDecoder d;
  Fed out;
  std::vector<std::string_view> chunks;
  const std::string_view s = stream;
  if (bytewise) {
    for (std::size_t i = 0; i < s.size(); ++i)
      chunks.push_back(s.substr(i, 1));
  } else {
    chunks = {s.substr(0, split), s.substr(split)};
  }
  for (auto c : chunks) {
    if (c.empty()) continue;
    auto step = d.feed(c);
    out.parse = step.parse;
    out.consumed += step.consumed;
    if (step.parse.status != ProxyStatus::need_more) break;
  }
  if (out.parse.status == ProxyStatus::need_more) out.parse = d.finish();
  return out;
}

// Every way of cutting `header + payload` gives the same header, consumes exactly the header,
// and leaves the payload.
void expect_every_split(const std::string& header, const std::string& payload,
                        const ProxyHeader& want) {
  const std::string stream = header + payload;
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    const Fed f = feed_split(stream, split);
    ASSERT_EQ(f.parse.status, ProxyStatus::complete)
        << "split " << split << ": " << f.parse.error.message();
    EXPECT_EQ(f.consumed, header.size()) << "split " << split;
    EXPECT_EQ(stream.substr(f.consumed), payload);
    const ProxyHeader& h = f.parse.header;
    EXPECT_EQ(h.size, header.size());
    EXPECT_EQ(h.version, want.version);
    EXPECT_EQ(h.command, want.command);
    EXPECT_EQ(h.family, want.family);
    EXPECT_EQ(h.source, want.source);
    EXPECT_EQ(h.destination, want.destination);
  }
  const Fed bytewise = feed_split(stream, 0, true);
  EXPECT_EQ(bytewise.parse.status, ProxyStatus::complete);
  EXPECT_EQ(bytewise.consumed, header.size());
}

Endpoint ep(const char* text) {
  return *Endpoint::parse(text);
}

ProxyHeader want(std::uint8_t version, ProxyCommand cmd, ProxyFamily fam,
                 std::optional<Endpoint> src = std::nullopt,
                 std::optional<Endpoint> dst = std::nullopt) {
  ProxyHeader h;
  h.version = version;
  h.command = cmd;
  h.family = fam;
  h.source = std::move(src);
  h.destination = std::move(dst);
  return h;
}

TEST(ProxyProtocol, V1Tcp4EverySplit) {
  expect_every_split("PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\n", "hello\n",
                     want(1, ProxyCommand::proxy, ProxyFamily::inet, ep("203.0.113.7:41000"),
                          ep("198.51.100.1:443")));
}

TEST(ProxyProtocol, V1Tcp6EverySplit) {
  expect_every_split(
      "PROXY TCP6 2001:db8::7 ::1 5000 80\r\n", "GET / HTTP/1.1\r\n",
      want(1, ProxyCommand::proxy, ProxyFamily::inet6, ep("[2001:db8::7]:5000"), ep("[::1]:80")));
}

TEST(ProxyProtocol, V1UnknownIgnoresTheRestOfItsLine) {
  expect_every_split("PROXY UNKNOWN\r\n", "x", want(1, ProxyCommand::proxy, ProxyFamily::unspec));
  expect_every_split("PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n", "",
                     want(1, ProxyCommand::proxy, ProxyFamily::unspec));
}

TEST(ProxyProtocol, V1LongestLineIsAccepted) {
  const std::string line =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  ASSERT_EQ(line.size(), 104u);
  const auto p = parse_proxy_header(line);
  ASSERT_EQ(p.status, ProxyStatus::complete);
  EXPECT_EQ(p.header.source->port(), 65535);
  const auto unknown = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";
  ASSERT_EQ(unknown.size(), 107u);
  EXPECT_EQ(parse_proxy_header(unknown).status, ProxyStatus::complete);
}

TEST(ProxyProtocol, V2Tcp4EverySplit) {
  expect_every_split(v2(0x21, 0x11, kV4Block), "payload",
                     want(2, ProxyCommand::proxy, ProxyFamily::inet, ep("203.0.113.7:41000"),
                          ep("198.51.100.1:443")));
}

TEST(ProxyProtocol, V2Tcp6EverySplit) {
  expect_every_split(
      v2(0x21, 0x21, v6_block()), "\r\n\r\n",
      want(2, ProxyCommand::proxy, ProxyFamily::inet6, ep("[2001:db8::7]:5000"), ep("[::1]:80")));
}

TEST(ProxyProtocol, V2LocalKeepsNoAddressAndSkipsItsBlock) {
  expect_every_split(v2(0x20, 0x00, ""), "ping", want(2, ProxyCommand::local, ProxyFamily::unspec));
  // LOCAL discards whatever block and family it carries (HAProxy's checks may send one).
  expect_every_split(v2(0x20, 0x11, kV4Block), "",
                     want(2, ProxyCommand::local, ProxyFamily::unspec));
}

TEST(ProxyProtocol, V2TlvsAreSkipped) {
  const std::string tlvs = "\x01"s + be16(2) + "h2" + "\x04"s + be16(0) + "\x05"s + be16(3) + "abc";
  expect_every_split(v2(0x21, 0x11, kV4Block + tlvs), "after",
                     want(2, ProxyCommand::proxy, ProxyFamily::inet, ep("203.0.113.7:41000"),
                          ep("198.51.100.1:443")));
}

TEST(ProxyProtocol, V2UnspecAndUnixKeepTheConnectionsAddress) {
  expect_every_split(v2(0x21, 0x00, "anything"), "",
                     want(2, ProxyCommand::proxy, ProxyFamily::unspec));
  expect_every_split(v2(0x21, 0x31, std::string(216, 'p')), "x",
                     want(2, ProxyCommand::proxy, ProxyFamily::local));
}

TEST(ProxyProtocol, GarbageAfterAValidHeaderStaysAsPayload) {
  // A second header, binary junk, a bare CR: none of it belongs to the first header.
  const std::string junk = "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n\xff\0\r"s + kSig;
  expect_every_split(
      "PROXY TCP4 10.0.0.1 10.0.0.2 1000 2000\r\n", junk,
      want(1, ProxyCommand::proxy, ProxyFamily::inet, ep("10.0.0.1:1000"), ep("10.0.0.2:2000")));
  expect_every_split(v2(0x20, 0x00, ""), junk, want(2, ProxyCommand::local, ProxyFamily::unspec));
}

ProxyErrc error_of(const std::string& bytes, ProxyLimits limits = {}) {
  const auto p = parse_proxy_header(bytes, limits);
  if (p.status != ProxyStatus::error) return ProxyErrc::ok;
  EXPECT_EQ(p.error.category(), proxy_category());
  return static_cast<ProxyErrc>(p.error.value());
}

TEST(ProxyProtocol, WrongSignatureAtTheFirstByteThatDiffers) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n"), ProxyErrc::wrong_signature);
  EXPECT_EQ(error_of("P"), ProxyErrc::ok);  // still a possible header
  EXPECT_EQ(error_of("PROXZ"), ProxyErrc::wrong_signature);
  EXPECT_EQ(error_of("proxy TCP4"), ProxyErrc::wrong_signature);
  EXPECT_EQ(error_of("\r\n\r\n\0\r\nQUIT"s), ProxyErrc::ok);
  EXPECT_EQ(error_of("\r\n\r\n\0\r\nQUIX"s), ProxyErrc::wrong_signature);
  EXPECT_EQ(error_of("\r\n\r\n\r\n"), ProxyErrc::wrong_signature);  // an empty request
  EXPECT_EQ(error_of("\x16\x03\x01"), ProxyErrc::wrong_signature);  // a TLS ClientHello
}

TEST(ProxyProtocol, V1Malformed) {
  for (const char* line : {
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",        // LF without CR
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",       // CR without LF
           "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",     // two spaces
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",     // trailing space
           "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",        // a field missing
           "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",    // one too many
           "PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\n",    // bad address
           "PROXY TCP4 ::1 ::1 1 2\r\n",              // v6 under TCP4
           "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",      // v4 under TCP6
           "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",     // a zone
           "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",  // port out of range
           "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",     // leading zero
           "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",     // sign
           "PROXY \r\n",                              // nothing
       }) {
    EXPECT_EQ(error_of(line), ProxyErrc::malformed) << line;
  }
}

TEST(ProxyProtocol, V1UnsupportedFamily) {
  EXPECT_EQ(error_of("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), ProxyErrc::unsupported_family);
  EXPECT_EQ(error_of("PROXY UNKNOWNX\r\n"), ProxyErrc::unsupported_family);
}

TEST(ProxyProtocol, V1OversizedWithoutCrlfWithin107Bytes) {
  const std::string long_line = "PROXY UNKNOWN" + std::string(94, 'x');
  ASSERT_EQ(long_line.size(), 107u);
  EXPECT_EQ(error_of(long_line.substr(0, 106)), ProxyErrc::ok);
  EXPECT_EQ(error_of(long_line), ProxyErrc::oversized);
  EXPECT_EQ(error_of(long_line + "\r\n"), ProxyErrc::oversized);
}

TEST(ProxyProtocol, V2Errors) {
  EXPECT_EQ(error_of(v2(0x11, 0x11, kV4Block)), ProxyErrc::unsupported_version);
  EXPECT_EQ(error_of(kSig + "\x31"), ProxyErrc::unsupported_version);  // known at byte 13
  EXPECT_EQ(error_of(v2(0x22, 0x11, kV4Block)), ProxyErrc::unsupported_command);
  EXPECT_EQ(error_of(v2(0x21, 0x13, kV4Block)), ProxyErrc::unsupported_family);
  EXPECT_EQ(error_of(v2(0x21, 0x41, kV4Block)), ProxyErrc::unsupported_family);
  EXPECT_EQ(error_of(v2(0x21, 0x10, kV4Block)), ProxyErrc::unsupported_family);
  EXPECT_EQ(error_of(v2(0x21, 0x11, kV4Block.substr(0, 11))), ProxyErrc::malformed);
  EXPECT_EQ(error_of(v2(0x21, 0x21, kV4Block)), ProxyErrc::malformed);  // 12 bytes for IPv6
  // A TLV that runs past the announced length, and a cut TLV head.
  EXPECT_EQ(error_of(v2(0x21, 0x11, kV4Block + "\x01"s + be16(5) + "abc")), ProxyErrc::malformed);
  EXPECT_EQ(error_of(v2(0x21, 0x11, kV4Block + "\x01\x00"s)), ProxyErrc::malformed);
}

TEST(ProxyProtocol, V2OversizedAsSoonAsTheLengthIsIn) {
  ProxyLimits small;
  small.max_v2_bytes = 64;
  const std::string fixed = kSig + "\x21\x11"s + be16(49);  // 16 + 49 = 65 > 64
  EXPECT_EQ(error_of(fixed, small), ProxyErrc::oversized);
  EXPECT_EQ(error_of(kSig + "\x21\x11"s + be16(48), small), ProxyErrc::ok);     // needs more
  EXPECT_EQ(error_of(kSig + "\x20\x00"s + be16(65535)), ProxyErrc::oversized);  // default 4096
}

TEST(ProxyProtocol, TruncatedAndMissingAtClose) {
  for (const std::string& cut :
       {"PROXY TCP4 1.2.3.4"s, "P"s, kSig, v2(0x21, 0x11, kV4Block).substr(0, 20)}) {
    ProxyHeaderDecoder d;
    EXPECT_EQ(d.feed(cut).parse.status, ProxyStatus::need_more);
    EXPECT_EQ(d.buffered(), cut.size());
    EXPECT_EQ(d.finish().error, ProxyErrc::truncated);
  }
  ProxyHeaderDecoder empty;
  EXPECT_EQ(empty.finish().error, ProxyErrc::missing);
}

TEST(ProxyProtocol, DecoderOutcomeIsSticky) {
  ProxyHeaderDecoder d;
  EXPECT_EQ(d.feed("XY").parse.error, ProxyErrc::wrong_signature);
  const auto again = d.feed("PROXY UNKNOWN\r\n");
  EXPECT_EQ(again.parse.error, ProxyErrc::wrong_signature);
  EXPECT_EQ(again.consumed, 0u);
  ProxyHeaderDecoder ok;
  EXPECT_EQ(ok.feed("PROXY UNKNOWN\r\nA").consumed, 15u);
  const auto after = ok.feed("more payload");
  EXPECT_EQ(after.parse.status, ProxyStatus::complete);
  EXPECT_EQ(after.consumed, 0u);
  EXPECT_EQ(ok.finish().status, ProxyStatus::complete);
}

TEST(ProxyProtocol, EncodersRoundTrip) {
  const auto h4 = want(2, ProxyCommand::proxy, ProxyFamily::inet, ep("203.0.113.7:41000"),
                       ep("198.51.100.1:443"));
  EXPECT_EQ(encode_proxy_v2(h4), v2(0x21, 0x11, kV4Block));
  EXPECT_EQ(encode_proxy_v1(h4), "PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\n");
  const auto h6 =
      want(2, ProxyCommand::proxy, ProxyFamily::inet6, ep("[2001:db8::7]:5000"), ep("[::1]:80"));
  EXPECT_EQ(encode_proxy_v2(h6), v2(0x21, 0x21, v6_block()));
  EXPECT_EQ(encode_proxy_v1(h6), "PROXY TCP6 2001:db8::7 ::1 5000 80\r\n");
  EXPECT_EQ(encode_proxy_v2(want(2, ProxyCommand::local, ProxyFamily::unspec)), v2(0x20, 0, ""));
  EXPECT_EQ(encode_proxy_v1(want(1, ProxyCommand::local, ProxyFamily::unspec)),
            "PROXY UNKNOWN\r\n");
}

TEST(ProxyProtocol, ErrorMessagesNameTheProblem) {
  EXPECT_EQ(make_error_code(ProxyErrc::wrong_signature).message(),
            "not a PROXY protocol header (wrong signature)");
  EXPECT_STREQ(proxy_category().name(), "proxy");
  EXPECT_EQ(make_error_code(ProxyErrc::untrusted_source).message(),
            "not a trusted proxy (--proxy-from)");
}

}  // namespace
}  // namespace sockit
