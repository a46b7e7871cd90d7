// `sockit ip` for one address or network: the IANA special-purpose row behind the class
// (issue 17 finding 3), the two-argument ADDRESS NETMASK form (4), the IPv6 host range (6)
// and zones kept as typed (7). Exact output, exit codes and stderr.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

RunResult sockit(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return run(std::move(args), {});
}

constexpr std::string_view kTable = "iana table: special-purpose registries as of 2025-04\n";

TEST(CliIpClass, GloballyReachableAnycastIsGlobalWithItsRow) {
  auto r = sockit({"ip", "192.0.0.9"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, std::string("address:    192.0.0.9\n"
                               "decimal:    3221225481\n"
                               "hex:        0xC0000009\n"
                               "binary:     11000000.00000000.00000000.00001001\n"
                               "class:      global (legacy class C)\n"
                               "iana row:   192.0.0.9/32 Port Control Protocol Anycast, RFC 7723, "
                               "allocated 2015-10\n"
                               "iana flags: source yes, destination yes, forwardable yes, globally "
                               "reachable yes, reserved-by-protocol no\n") +
                       std::string(kTable));
}

TEST(CliIpClass, Ipv6RowsThatUsedToBeGlobal) {
  struct Case {
    const char* address;
    const char* class_line;
    const char* row_line;
  };
  const Case cases[] = {
      {"3fff::1", "class:      documentation\n",
       "iana row:   3fff::/20 Documentation, RFC 9637, allocated 2024-07\n"},
      {"5f00::1", "class:      special-purpose\n",
       "iana row:   5f00::/16 Segment Routing (SRv6) SIDs, RFC 9602, allocated 2024-04\n"},
      {"100:0:0:1::1", "class:      special-purpose\n",
       "iana row:   100:0:0:1::/64 Dummy IPv6 Prefix, RFC 9780, allocated 2025-04\n"},
      {"2001:1::1", "class:      global\n",
       "iana row:   2001:1::1/128 Port Control Protocol Anycast, RFC 7723, allocated 2015-10\n"},
      {"4000::1", "class:      reserved\n", "iana row:   none\n"},
  };
  for (const auto& c : cases) {
    auto r = sockit({"ip", c.address});
    EXPECT_EQ(r.exit_code, 0) << c.address;
    EXPECT_NE(r.out.find(c.class_line), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.row_line), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(kTable), std::string::npos) << r.out;
  }
}

TEST(CliIpClass, JsonCarriesEveryRegistryColumn) {
  auto r = sockit({"ip", "--json", "2001::1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["class"], "special-purpose");
  EXPECT_EQ(doc["registry_date"], "2025-04");
  const auto& row = doc["special_purpose"];
  EXPECT_EQ(row["block"], "2001::/32");
  EXPECT_EQ(row["name"], "TEREDO");
  EXPECT_EQ(row["rfc"], "RFC 4380, RFC 8190");
  EXPECT_EQ(row["allocated"], "2006-01");
  EXPECT_TRUE(row["terminated"].is_null());
  EXPECT_EQ(row["source"], true);
  EXPECT_EQ(row["destination"], true);
  EXPECT_EQ(row["forwardable"], true);
  EXPECT_TRUE(row["globally_reachable"].is_null());  // N/A in the registry
  EXPECT_EQ(row["reserved_by_protocol"], false);

  auto none = sockit({"ip", "--json", "8.8.8.8"});
  ASSERT_EQ(none.exit_code, 0);
  const auto g = nlohmann::json::parse(none.out);
  EXPECT_EQ(g["class"], "global");
  EXPECT_TRUE(g["special_purpose"].is_null());
  EXPECT_EQ(g["registry_date"], "2025-04");
}

TEST(CliIpMask, ShortContiguousMaskIsTheMask) {
  auto r = sockit({"ip", "10.1.2.3", "254.0.0.0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("network:    10.0.0.0/7\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("netmask:    254.0.0.0 = 7\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("address:    254.0.0.0\n"), std::string::npos) << r.out;
}

TEST(CliIpMask, AllOnesIsASlash32) {
  auto r = sockit({"ip", "10.0.0.1", "255.255.255.255"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("network:    10.0.0.1/32\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hosts:      10.0.0.1 - 10.0.0.1\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("address:    255.255.255.255\n"), std::string::npos) << r.out;
}

TEST(CliIpMask, Ipv6MaskNotStartingWithFfff) {
  auto r = sockit({"ip", "2001:db8::1", "fe00::"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("network:    2000::/7\n"), std::string::npos) << r.out;
  auto z = sockit({"ip", "2001:db8::1", "::"});
  EXPECT_EQ(z.exit_code, 0) << z.err;
  EXPECT_NE(z.out.find("network:    ::/0\n"), std::string::npos) << z.out;
}

TEST(CliIpMask, SecondAddressThatIsNoMaskIsDescribedOnItsOwn) {
  auto r = sockit({"ip", "10.0.0.1", "255.0.255.0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("address:    10.0.0.1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\naddress:    255.0.255.0\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("network:"), std::string::npos) << r.out;
}

TEST(CliIpHosts, Ipv6FirstHostSkipsSubnetRouterAnycast) {
  auto r = sockit({"ip", "2001:db8::/64"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("hosts:      2001:db8::1 - 2001:db8::ffff:ffff:ffff:ffff\n"),
            std::string::npos)
      << r.out;
  auto p127 = sockit({"ip", "--json", "2001:db8::/127"});
  ASSERT_EQ(p127.exit_code, 0);
  const auto doc = nlohmann::json::parse(p127.out);
  EXPECT_EQ(doc["first_host"], "2001:db8::");
  EXPECT_EQ(doc["last_host"], "2001:db8::1");
}

TEST(CliIpZone, KeptExactlyAsTyped) {
  for (const char* text : {"fe80::1%eth7", "fe80::1%99", "fe80::1%1", "fe80::1%0"}) {
    auto r = sockit({"ip", text});
    EXPECT_EQ(r.exit_code, 0) << text << ": " << r.err;
    EXPECT_EQ(r.out.rfind(std::string("address:    ") + text + "\n", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("class:      link-local\n"), std::string::npos) << r.out;
  }
  auto n = sockit({"ip", "--json", "fe80::1%eth7/64"});
  ASSERT_EQ(n.exit_code, 0) << n.err;
  const auto doc = nlohmann::json::parse(n.out);
  EXPECT_EQ(doc["address"], "fe80::1%eth7");
  EXPECT_EQ(doc["network"], "fe80::%eth7/64");
}

TEST(CliIpZone, SyntaxErrorsStillSayWhy) {
  auto r = sockit({"ip", "fe80::1%"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sockit: fe80::1%: empty zone id after '%'\n");
}

}  // namespace
}  // namespace sockit::test
