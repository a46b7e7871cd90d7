// hmac_md5_hex against published answers: RFC 2202's HMAC-MD5 test cases and RFC 2195's
// CRAM-MD5 example, so the SMTP client and server that use it share no unchecked assumption.
#include <gtest/gtest.h>

#include <string>

#include "sockit/tls/digest.hpp"

namespace sockit {
namespace {

TEST(HmacMd5, Rfc2202TestCases) {
  EXPECT_EQ(hmac_md5_hex("Jefe", "what do ya want for nothing?").value(),
            "750c783e6ab0b503eaa86e310a5db738");
  EXPECT_EQ(hmac_md5_hex(std::string(16, '\x0b'), "Hi There").value(),
            "9294727a3638bb1c13f48ef8158bfc9d");
  // A key longer than the block (80 octets) is hashed first.
  EXPECT_EQ(hmac_md5_hex(std::string(80, '\xaa'),
                         "Test Using Larger Than Block-Size Key - Hash Key First")
                .value(),
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
}

TEST(HmacMd5, Rfc2195CramMd5Example) {
  EXPECT_EQ(hmac_md5_hex("tanstaaftanstaaf", "<1896.697170952@postoffice.reston.mci.net>").value(),
            "b913a602c7eda7a495b4e6e7334d3890");
}

TEST(HmacMd5, EmptyKeyAndData) {
  EXPECT_EQ(hmac_md5_hex("", "").value(), "74e6f7298a9c2d168935f58c001bad88");
}

}  // namespace
}  // namespace sockit
