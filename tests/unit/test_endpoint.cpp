#include "sockit/net/endpoint.hpp"

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace sockit {
namespace {

struct BadCase {
  std::string_view text;
  Errc code;
  std::string_view why;
};

TEST(EndpointParse, IPv4) {
  auto e = Endpoint::parse("1.2.3.4:80");
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->is_ip());
  EXPECT_EQ(e->domain(), AF_INET);
  EXPECT_EQ(e->address().to_string(), "1.2.3.4");
  EXPECT_EQ(e->port(), 80);
  EXPECT_EQ(e->to_string(), "1.2.3.4:80");
}

TEST(EndpointParse, IPv6WithAndWithoutZone) {
  auto e = Endpoint::parse("[2001:db8::1]:443");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->domain(), AF_INET6);
  EXPECT_EQ(e->port(), 443);
  EXPECT_EQ(e->to_string(), "[2001:db8::1]:443");

  auto z = Endpoint::parse("[fe80::1%lo]:22");
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->address().v6().zone(), "lo");
  EXPECT_EQ(z->address().v6().resolve_scope_id().value(), ::if_nametoindex("lo"));
  EXPECT_EQ(z->to_string(), "[fe80::1%lo]:22");
}

// Issue 17 finding 7: the zone is kept as typed and resolved only when a sockaddr is built for
// bind/connect; an unknown interface name fails there with ENODEV.
TEST(EndpointZone, KeptAsTypedResolvedForTheKernel) {
  auto named = Endpoint::parse("[fe80::1%eth7x]:22");
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->to_string(), "[fe80::1%eth7x]:22");
  auto sa = named->to_sockaddr();
  ASSERT_FALSE(sa.has_value());
  EXPECT_EQ(sa.error(), std::errc::no_such_device);

  auto numeric = Endpoint::parse("[fe80::1%1]:22");
  ASSERT_TRUE(numeric.has_value());
  EXPECT_EQ(numeric->to_string(), "[fe80::1%1]:22");
  auto zero = Endpoint::parse("[fe80::1%0]:22");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(zero->to_string(), "[fe80::1%0]:22");

  for (const auto& [text, index] :
       {std::pair<std::string, unsigned>{"[fe80::1%lo]:22", ::if_nametoindex("lo")},
        {"[fe80::1%99]:22", 99u},
        {"[fe80::1%0]:22", 0u}}) {
    auto e = Endpoint::parse(text);
    ASSERT_TRUE(e.has_value()) << text;
    auto addr = e->to_sockaddr();
    ASSERT_TRUE(addr.has_value()) << text;
    sockaddr_in6 in6{};
    std::memcpy(&in6, &addr->storage, sizeof in6);
    EXPECT_EQ(in6.sin6_scope_id, index) << text;
  }
}

TEST(EndpointParse, UnixPathAndAbstract) {
  auto p = Endpoint::parse("/run/x.sock");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->is_unix());
  EXPECT_EQ(p->domain(), AF_UNIX);
  EXPECT_FALSE(p->unix_path().is_abstract());
  EXPECT_EQ(p->to_string(), "/run/x.sock");
  auto a = Endpoint::parse("@sockit-test");
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->unix_path().is_abstract());
  EXPECT_EQ(a->to_string(), "@sockit-test");
  EXPECT_TRUE(Endpoint::parse("./rel.sock").has_value());
}

TEST(EndpointParse, RejectsMalformedWithExactCodeAndReason) {
  const std::string long_path = "/" + std::string(107, 'a');  // 108 bytes: no room for NUL
  const std::string long_name = "@" + std::string(108, 'b');
  const BadCase cases[] = {
      {"", Errc::invalid_endpoint, "empty endpoint"},
      {"1.2.3.4", Errc::invalid_endpoint, "missing ':port'"},
      {"::1:80", Errc::invalid_endpoint, "an IPv6 address needs brackets: [address]:port"},
      {"1.2.3:80", Errc::invalid_address, "IPv4 address: expected 4 octets, found 3"},
      {"localhost:80", Errc::invalid_address, "IPv4 address: unexpected 'l' in octet 1"},
      {"1.2.3.4:", Errc::invalid_port, "empty port"},
      {"1.2.3.4:65536", Errc::invalid_port, "port 65536 is above 65535"},
      {"1.2.3.4:-1", Errc::invalid_port, "unexpected '-' in port"},
      {"[::1]", Errc::invalid_endpoint, "missing ':port' after ']'"},
      {"[::1", Errc::invalid_endpoint, "missing ']' after the IPv6 address"},
      {"[::1]80", Errc::invalid_endpoint, "unexpected '8' after ']'"},
      {"[1.2.3.4]:80", Errc::invalid_address, "IPv6 address: expected 8 groups, found 2"},
      {"[fe80::1%no such]:22", Errc::invalid_address, "IPv6 address: unexpected ' ' in zone id"},
      {"[::1]:http", Errc::invalid_port, "unexpected 'h' in port"},
      {"@", Errc::invalid_endpoint, "empty abstract socket name after '@'"},
      {long_path, Errc::invalid_endpoint,
       "Unix socket path is 108 bytes, more than the 107 that fit"},
      {long_name, Errc::invalid_endpoint,
       "abstract socket name is 108 bytes, more than the 107 that fit"},
      {std::string_view("/a\0b", 4), Errc::invalid_endpoint,
       "Unix socket path contains a NUL byte"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = Endpoint::parse(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(c.code)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}

TEST(EndpointParse, LongestPathsThatFit) {
  EXPECT_TRUE(Endpoint::parse("/" + std::string(106, 'a')).has_value());
  EXPECT_TRUE(Endpoint::parse("@" + std::string(107, 'b')).has_value());
}

TEST(ParsePort, AcceptsRange) {
  EXPECT_EQ(parse_port("0").value(), 0);
  EXPECT_EQ(parse_port("1").value(), 1);
  EXPECT_EQ(parse_port("8080").value(), 8080);
  EXPECT_EQ(parse_port("65535").value(), 65535);
}

TEST(ParsePort, RejectsWithExactReason) {
  const BadCase cases[] = {
      {"", Errc::invalid_port, "empty port"},
      {"+80", Errc::invalid_port, "unexpected '+' in port"},
      {"-0", Errc::invalid_port, "unexpected '-' in port"},
      {" 80", Errc::invalid_port, "unexpected ' ' in port"},
      {"80 ", Errc::invalid_port, "unexpected ' ' in port"},
      {"65536", Errc::invalid_port, "port 65536 is above 65535"},
      {"99999999999999999999", Errc::invalid_port, "port 99999999999999999999 is above 65535"},
      {"080", Errc::invalid_port, "port has a leading zero (\"080\")"},
      {"0x50", Errc::invalid_port, "unexpected 'x' in port"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = parse_port(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(c.code)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}

TEST(EndpointSockaddr, RoundTripsEveryKind) {
  for (std::string_view text : {"0.0.0.0:0", "127.0.0.1:65535", "[::1]:80", "[fe80::1%lo]:22",
                                "[::ffff:1.2.3.4]:9", "/tmp/sockit.sock", "@abstract-name"}) {
    auto e = Endpoint::parse(text);
    ASSERT_TRUE(e.has_value()) << text;
    auto sa = e->to_sockaddr();
    ASSERT_TRUE(sa.has_value()) << text;
    auto back = Endpoint::from_sockaddr(sa->get(), sa->len);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(back->to_string(), text);
    // A zone written as a name comes back from the kernel as its index: same text, and the
    // same index once the written name is resolved, but not an equal value.
    if (e->is_ip() && e->address().is_v6() && !e->address().v6().zone().empty()) {
      EXPECT_EQ(back->address().v6().scope_id(), e->address().v6().resolve_scope_id().value());
      EXPECT_EQ(back->address().v6().bytes(), e->address().v6().bytes());
    } else {
      EXPECT_EQ(*back, *e) << text;
    }
  }
}

TEST(EndpointSockaddr, ExactBytesForIPv4) {
  auto sa = Endpoint::parse("192.168.1.10:8080")->to_sockaddr();
  ASSERT_TRUE(sa.has_value());
  ASSERT_EQ(sa->len, sizeof(sockaddr_in));
  sockaddr_in in{};
  std::memcpy(&in, &sa->storage, sizeof in);
  EXPECT_EQ(in.sin_family, AF_INET);
  EXPECT_EQ(ntohs(in.sin_port), 8080);
  EXPECT_EQ(ntohl(in.sin_addr.s_addr), 0xC0A8010Au);
}

TEST(EndpointSockaddr, AbstractLengthCountsNameOnly) {
  auto sa = Endpoint::parse("@abc")->to_sockaddr();
  ASSERT_TRUE(sa.has_value());
  EXPECT_EQ(sa->len, offsetof(sockaddr_un, sun_path) + 1 + 3);
  sockaddr_un un{};
  std::memcpy(&un, &sa->storage, sizeof un);
  EXPECT_EQ(un.sun_family, AF_UNIX);
  EXPECT_EQ(un.sun_path[0], '\0');
  EXPECT_EQ(std::string_view(un.sun_path + 1, 3), "abc");
}

TEST(EndpointSockaddr, PathLengthIncludesNul) {
  auto sa = Endpoint::parse("/x")->to_sockaddr();
  ASSERT_TRUE(sa.has_value());
  EXPECT_EQ(sa->len, offsetof(sockaddr_un, sun_path) + 3);
}

// parse() and to_sockaddr() must agree on the exact limit of each kind: a path needs its NUL
// (107 bytes at most); an abstract name's '@' stands for sun_path[0] = 0, so the name itself may
// use the other 107 bytes, filling sockaddr_un exactly.
TEST(EndpointSockaddr, UnixLimitsAgreeWithParse) {
  constexpr std::size_t kOffset = offsetof(sockaddr_un, sun_path);
  const auto bad = make_error_code(Errc::invalid_endpoint);
  struct Limit {
    std::string longest;
    std::string too_long;
    std::size_t len;
  };
  const Limit limits[] = {
      {"/" + std::string(106, 'a'), "/" + std::string(107, 'a'), kOffset + 107 + 1},
      {"@" + std::string(107, 'b'), "@" + std::string(108, 'b'), kOffset + 1 + 107},
  };
  for (const auto& l : limits) {
    auto e = Endpoint::parse(l.longest);
    ASSERT_TRUE(e.has_value()) << l.longest.size();
    auto sa = e->to_sockaddr();
    ASSERT_TRUE(sa.has_value()) << l.longest.size();
    EXPECT_EQ(static_cast<std::size_t>(sa->len), l.len);
    EXPECT_LE(static_cast<std::size_t>(sa->len), sizeof(sockaddr_un));
    auto back = Endpoint::from_sockaddr(sa->get(), sa->len);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, *e);
    EXPECT_EQ(back->to_string(), l.longest);

    EXPECT_EQ(Endpoint::parse(l.too_long).error(), bad);
    EXPECT_EQ(Endpoint(UnixPath{l.too_long}).to_sockaddr().error(), bad);
  }
}

TEST(EndpointSockaddr, FromKernelForms) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  // Unnamed: only the family.
  auto unnamed = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&un), sizeof(sa_family_t));
  ASSERT_TRUE(unnamed.has_value());
  EXPECT_EQ(unnamed->unix_path().path, "");
  EXPECT_EQ(unnamed->to_string(), "(unnamed)");
  // accept() may report the whole struct: the path ends at the first NUL.
  std::memcpy(un.sun_path, "/p", 2);
  auto full = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&un), sizeof un);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->unix_path().path, "/p");
}

TEST(EndpointSockaddr, RejectsBadInput) {
  const auto bad = make_error_code(Errc::invalid_endpoint);
  EXPECT_EQ(Endpoint::from_sockaddr(nullptr, 16).error(), bad);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  EXPECT_EQ(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&in), sizeof in - 1).error(), bad);
  sockaddr_storage ss{};
  ss.ss_family = AF_PACKET;
  EXPECT_EQ(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), sizeof ss).error(), bad);
  EXPECT_EQ(Endpoint(UnixPath{}).to_sockaddr().error(), bad);
  EXPECT_EQ(Endpoint(UnixPath{std::string(200, 'x')}).to_sockaddr().error(), bad);
}

TEST(Endpoint, DefaultIsAnyPortZero) {
  Endpoint e;
  EXPECT_TRUE(e.is_ip());
  EXPECT_EQ(e.to_string(), "0.0.0.0:0");
}

TEST(SplitHostPort, Forms) {
  struct Case {
    std::string_view text, host, port;
  };
  const Case cases[] = {
      {"example.com:80", "example.com", "80"},
      {"example.com:http", "example.com", "http"},
      {"example.com", "example.com", ""},
      {"1.2.3.4:22", "1.2.3.4", "22"},
      {"[2001:db8::1]:443", "2001:db8::1", "443"},
      {"[fe80::1%eth0]:22", "fe80::1%eth0", "22"},
      {"[::1]", "::1", ""},
      {"::1", "::1", ""},
      {"fe80::1%lo", "fe80::1%lo", ""},
  };
  for (const auto& c : cases) {
    auto r = split_host_port(c.text);
    ASSERT_TRUE(r.has_value()) << c.text;
    EXPECT_EQ(r->host, c.host) << c.text;
    EXPECT_EQ(r->port, c.port) << c.text;
  }
}

TEST(SplitHostPort, RejectsWithExactReason) {
  const BadCase cases[] = {
      {"", Errc::invalid_endpoint, "empty host"},
      {":80", Errc::invalid_endpoint, "empty host"},
      {"[]:80", Errc::invalid_endpoint, "empty host"},
      {"host:", Errc::invalid_endpoint, "empty port after ':'"},
      {"[::1]:", Errc::invalid_endpoint, "empty port after ':'"},
      {"[::1", Errc::invalid_endpoint, "missing ']' after the IPv6 address"},
      {"[::1]x", Errc::invalid_endpoint, "unexpected 'x' after ']'"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = split_host_port(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(c.code)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}

}  // namespace
}  // namespace sockit
