// Bluetooth RFCOMM endpoints: "bt:AA:BB:CC:DD:EE:FF/CHANNEL" parsed, formatted, and turned into
// and back from Linux's struct sockaddr_rc (family 31, bdaddr bytes reversed, channel).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sockit/net/endpoint.hpp"

namespace sockit {
namespace {

TEST(EndpointBluetooth, ParsesAddressAndChannel) {
  std::string why;
  auto e = Endpoint::parse("bt:01:23:45:67:89:AB/3", &why);
  ASSERT_TRUE(e) << why;
  ASSERT_TRUE(e->is_bluetooth());
  EXPECT_FALSE(e->is_ip());
  EXPECT_FALSE(e->is_unix());
  EXPECT_EQ(e->rfcomm().device, (std::array<std::uint8_t, 6>{0x01, 0x23, 0x45, 0x67, 0x89, 0xab}));
  EXPECT_EQ(e->rfcomm().channel, 3);
  EXPECT_EQ(e->domain(), 31);
  EXPECT_EQ(e->protocol(), 3);
}

TEST(EndpointBluetooth, HexAndPrefixInEitherCaseFormatUpperCase) {
  for (std::string_view text :
       {"bt:aa:bb:cc:dd:ee:ff/30", "BT:AA:bb:Cc:dD:EE:ff/30", "Bt:AA:BB:CC:DD:EE:FF/30"}) {
    auto e = Endpoint::parse(text);
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->to_string(), "bt:AA:BB:CC:DD:EE:FF/30") << text;
  }
}

TEST(EndpointBluetooth, RoundTrips) {
  for (std::string_view text :
       {"bt:00:00:00:00:00:00/1", "bt:FF:FF:FF:FF:FF:FF/30", "bt:00:1A:7D:DA:71:13/12"}) {
    auto e = Endpoint::parse(text);
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->to_string(), text);
    auto again = Endpoint::parse(e->to_string());
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *e);
  }
}

TEST(EndpointBluetooth, PrefixTest) {
  EXPECT_TRUE(has_bluetooth_prefix("bt:"));
  EXPECT_TRUE(has_bluetooth_prefix("BT:x"));
  EXPECT_FALSE(has_bluetooth_prefix("bt"));
  EXPECT_FALSE(has_bluetooth_prefix("bta:"));
  EXPECT_FALSE(has_bluetooth_prefix("1.2.3.4:80"));
}

struct BadBt {
  std::string_view text;
  std::string_view why;
};

TEST(EndpointBluetooth, PreciseErrors) {
  const BadBt cases[] = {
      {"bt:", "missing the device address after 'bt:' (bt:AA:BB:CC:DD:EE:FF/CHANNEL)"},
      {"bt:AA:BB:CC:DD:EE:FF",
       "missing '/CHANNEL' after the Bluetooth address (bt:AA:BB:CC:DD:EE:FF/CHANNEL)"},
      {"bt:AA:BB:CC:DD:EE/1", "Bluetooth address has 5 groups, expected 6 (AA:BB:CC:DD:EE:FF)"},
      {"bt:AA:BB:CC:DD:EE:FF:00/1",
       "Bluetooth address has 7 groups, expected 6 (AA:BB:CC:DD:EE:FF)"},
      {"bt:AA:BB:CG:DD:EE:FF/1", "unexpected 'G' in Bluetooth address group 3"},
      {"bt:AA:BB:CC:DD:EE:F/1", "Bluetooth address group 6 has 1 hex digits, expected 2"},
      {"bt:AA::CC:DD:EE:FF/1", "Bluetooth address group 2 has 0 hex digits, expected 2"},
      {"bt:AAB:B:CC:DD:EE:FF/1", "Bluetooth address group 1 has 3 hex digits, expected 2"},
      {"bt:AA:BB:CC:DD:EE:FF/", "empty RFCOMM channel after '/' (1 to 30)"},
      {"bt:AA:BB:CC:DD:EE:FF/0", "RFCOMM channel 0 is outside 1 to 30"},
      {"bt:AA:BB:CC:DD:EE:FF/31", "RFCOMM channel 31 is outside 1 to 30"},
      {"bt:AA:BB:CC:DD:EE:FF/99999999999", "RFCOMM channel 999999... is outside 1 to 30"},
      {"bt:AA:BB:CC:DD:EE:FF/03", "RFCOMM channel has a leading zero"},
      {"bt:AA:BB:CC:DD:EE:FF/-1", "unexpected '-' in RFCOMM channel"},
      {"bt:AA:BB:CC:DD:EE:FF/1 ", "unexpected ' ' in RFCOMM channel"},
      {"bt:AA:BB:CC:DD:EE:\x1b[/1", "unexpected byte 0x1b in Bluetooth address group 6"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto e = Endpoint::parse(c.text, &why);
    ASSERT_FALSE(e) << c.text;
    EXPECT_EQ(e.error(), Errc::invalid_endpoint) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}

// The layout of Linux's struct sockaddr_rc: sa_family_t, bdaddr_t (6 bytes, reversed), u8.
TEST(EndpointBluetooth, SockaddrIsLinuxSockaddrRc) {
  auto e = Endpoint::parse("bt:01:23:45:67:89:AB/7");
  ASSERT_TRUE(e);
  auto sa = e->to_sockaddr();
  ASSERT_TRUE(sa);
  ASSERT_EQ(sa->len, 10u);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&sa->storage);
  sa_family_t family = 0;
  std::memcpy(&family, bytes, sizeof family);
  EXPECT_EQ(family, 31);
  const std::array<std::uint8_t, 6> reversed{0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
  EXPECT_EQ(std::memcmp(bytes + 2, reversed.data(), reversed.size()), 0);
  EXPECT_EQ(bytes[8], 7);

  auto back = Endpoint::from_sockaddr(sa->get(), sa->len);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *e);
  EXPECT_EQ(back->to_string(), "bt:01:23:45:67:89:AB/7");
}

TEST(EndpointBluetooth, ShortSockaddrIsRejected) {
  auto sa = Endpoint::parse("bt:01:23:45:67:89:AB/7")->to_sockaddr();
  ASSERT_TRUE(sa);
  auto back = Endpoint::from_sockaddr(sa->get(), 9);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error(), Errc::invalid_endpoint);
}

// Text that is not Bluetooth keeps its old meaning and errors.
TEST(EndpointBluetooth, OtherFormsUnchanged) {
  std::string why;
  EXPECT_FALSE(Endpoint::parse("b:AA:BB/1", &why));
  EXPECT_EQ(why, "an IPv6 address needs brackets: [address]:port");
  auto e = Endpoint::parse("1.2.3.4:80");
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->is_bluetooth());
  EXPECT_EQ(e->protocol(), 0);
}

}  // namespace
}  // namespace sockit
