// visible_text(): the one rule for showing untrusted text on a terminal (chat lines, and the
// command line echoed back in sockit's errors). Control bytes become "\ooo" as ncat --chat
// writes them; printable ASCII, tab and well-formed UTF-8 stay as they are.
#include <gtest/gtest.h>

#include <string>

#include "sockit/services/services.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;

TEST(VisibleText, PlainTextIsUnchanged) {
  EXPECT_EQ(visible_text("hello, world: 1 + 1 = 2 ~"), "hello, world: 1 + 1 = 2 ~");
  EXPECT_EQ(visible_text(""), "");
  EXPECT_EQ(visible_text("a\tb"), "a\tb");
  EXPECT_EQ(visible_text("C:\\dir"), "C:\\dir");  // a backslash is kept, as ncat keeps it
}

TEST(VisibleText, ControlBytesBecomeOctalEscapes) {
  EXPECT_EQ(visible_text("\x1b[2J"), "\\033[2J");
  EXPECT_EQ(visible_text("a\0b"s), "a\\000b");
  EXPECT_EQ(visible_text("\a\b\r\n\x7f"), "\\007\\010\\015\\012\\177");
}

TEST(VisibleText, Utf8TextIsKept) {
  EXPECT_EQ(visible_text("caf\xc3\xa9"), "caf\xc3\xa9");            // é, 2 bytes
  EXPECT_EQ(visible_text("\xe2\x82\xac 5"), "\xe2\x82\xac 5");      // €, 3 bytes
  EXPECT_EQ(visible_text("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");  // U+1F600, 4 bytes
  EXPECT_EQ(visible_text("\xc2\xa0"), "\xc2\xa0");                  // U+00A0, the first kept
}

TEST(VisibleText, C1ControlsAndBrokenUtf8AreEscapedByteByByte) {
  EXPECT_EQ(visible_text("\xc2\x9b"
                         "2J"),
            "\\302\\2332J");                                   // U+009B, CSI on some terminals
  EXPECT_EQ(visible_text("\x9b"), "\\233");                    // a lone continuation byte
  EXPECT_EQ(visible_text("\xc3"), "\\303");                    // cut short at the end
  EXPECT_EQ(visible_text("\xc3(x"), "\\303(x");                // not followed by a continuation
  EXPECT_EQ(visible_text("\xc0\xaf"), "\\300\\257");           // overlong '/'
  EXPECT_EQ(visible_text("\xed\xa0\x80"), "\\355\\240\\200");  // a surrogate
  EXPECT_EQ(visible_text("\xf4\x90\x80\x80"), "\\364\\220\\200\\200");  // past U+10FFFF
  EXPECT_EQ(visible_text("\xff"), "\\377");
}

}  // namespace
}  // namespace sockit
