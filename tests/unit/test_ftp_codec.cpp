// The FTP codec: replies fed at every split point, the address forms, MLSD facts and LIST lines.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/codec/ftp_address.hpp"
#include "sockit/codec/ftp_list.hpp"
#include "sockit/codec/ftp_reply.hpp"

using namespace sockit;

namespace {

struct Decoded {
  std::vector<FtpReply> replies;
  std::error_code error;
  std::size_t buffered = 0;
  bool operator==(const Decoded&) const = default;
};

// Feeds `input` split once at `split` and drains replies after each part.
Decoded decode_split(std::string_view input, std::size_t split, std::size_t max_line = 4096,
                     std::size_t max_lines = 1024) {
  FtpReplyDecoder d(max_line, max_lines);
  Decoded out;
  for (auto part : {input.substr(0, split), input.substr(split)}) {
    d.feed(part);
    for (;;) {
      auto r = d.next();
      if (!r) {
        out.error = r.error();
        return out;
      }
      if (!*r) break;
      out.replies.push_back(**r);
    }
  }
  out.buffered = d.buffered();
  return out;
}

// Every split point gives the same result as feeding everything at once.
Decoded decode_all_splits(std::string_view input, std::size_t max_line = 4096,
                          std::size_t max_lines = 1024) {
  const Decoded whole = decode_split(input, input.size(), max_line, max_lines);
  for (std::size_t s = 0; s <= input.size(); ++s)
    EXPECT_EQ(decode_split(input, s, max_line, max_lines), whole) << "split at " << s;
  return whole;
}

FtpReply reply(int code, std::vector<std::string> lines) {
  return {code, std::move(lines)};
}

}  // namespace

TEST(FtpReply, SingleLineReplies) {
  const auto d =
      decode_all_splits("220 (vsFTPd 3.0.3)\r\n331 Please specify the password.\n230\r\n");
  EXPECT_FALSE(d.error);
  ASSERT_EQ(d.replies.size(), 3U);
  EXPECT_EQ(d.replies[0], reply(220, {"(vsFTPd 3.0.3)"}));
  EXPECT_EQ(d.replies[1], reply(331, {"Please specify the password."}));
  EXPECT_EQ(d.replies[2], reply(230, {""}));
  EXPECT_EQ(d.buffered, 0U);
}

TEST(FtpReply, MultiLineReplyEndsOnlyAtSameCodeAndSpace) {
  const std::string in =
      "211-Features:\r\n EPRT\r\n211-still going\r\n230 another code is text here\r\n"
      "211End of list, no space\r\n211 End\r\n226 next";
  const auto d = decode_all_splits(in);
  EXPECT_FALSE(d.error);
  ASSERT_EQ(d.replies.size(), 1U);
  EXPECT_EQ(d.replies[0],
            reply(211, {"Features:", " EPRT", "still going", "230 another code is text here",
                        "211End of list, no space", "End"}));
  EXPECT_EQ(d.replies[0].text(),
            "Features:\n EPRT\nstill going\n230 another code is text here\n"
            "211End of list, no space\nEnd");
  EXPECT_EQ(d.buffered, 8U);  // "226 next" waits for its line end
}

TEST(FtpReply, MalformedFirstLineIsAnErrorAndSticky) {
  for (std::string bad : {"hello\r\n", "22 short\r\n", "620 bad class\r\n", "220x\r\n"}) {
    const auto d = decode_all_splits(bad);
    EXPECT_EQ(d.error, make_error_code(Errc::malformed_frame)) << bad;
  }
  FtpReplyDecoder d;
  d.feed("oops\r\n220 ok\r\n");
  EXPECT_EQ(d.next().error(), make_error_code(Errc::malformed_frame));
  EXPECT_EQ(d.next().error(), make_error_code(Errc::malformed_frame));
  d.reset();
  d.feed("220 ok\r\n");
  EXPECT_EQ(**d.next(), reply(220, {"ok"}));
}

TEST(FtpReply, LimitsOnLineLengthAndLineCount) {
  EXPECT_EQ(decode_all_splits("220 " + std::string(20, 'x') + "\r\n", 24).error, std::error_code{});
  EXPECT_EQ(decode_all_splits("220 " + std::string(21, 'x') + "\r\n", 24).error,
            make_error_code(Errc::line_too_long));
  EXPECT_FALSE(decode_all_splits("211-a\r\nb\r\n211 c\r\n", 100, 3).error);
  EXPECT_EQ(decode_all_splits("211-a\r\nb\r\nc\r\n211 d\r\n", 100, 3).error,
            make_error_code(Errc::frame_too_long));
}

TEST(FtpReply, CommandSafety) {
  EXPECT_TRUE(ftp_command_safe("DELE a b"));
  EXPECT_FALSE(ftp_command_safe("DELE a\r\nQUIT"));
  EXPECT_FALSE(ftp_command_safe("x\n"));
}

TEST(FtpAddress, PasvReplies) {
  auto hp = parse_ftp_host_port("Entering Passive Mode (127,0,0,1,200,21).");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->ip_text(), "127.0.0.1");
  EXPECT_EQ(hp->port, 200 * 256 + 21);
  EXPECT_EQ(format_ftp_host_port(*hp), "127,0,0,1,200,21");
  // No brackets (some servers), and a leading number that is not the address.
  hp = parse_ftp_host_port("=10,0,0,1,4,1");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->ip_text(), "10.0.0.1");
  EXPECT_EQ(hp->port, 1025);
  for (auto bad : {"(127,0,0,1,256,1)", "(127,0,0,1,1)", "(1,2,3,4,5,6,7)", "no numbers",
                   "(127,0,0,1,0,0)", "(127,0,0,1111,1,1)"})
    EXPECT_EQ(parse_ftp_host_port(bad).error(), make_error_code(Errc::malformed_frame)) << bad;
}

TEST(FtpAddress, EpsvReplies) {
  EXPECT_EQ(parse_epsv_port("Entering Extended Passive Mode (|||6446|)").value(), 6446);
  EXPECT_EQ(parse_epsv_port("ok (!!!65535!)").value(), 65535);
  for (auto bad : {"(|||65536|)", "(|||0|)", "(||1.2.3.4|80|)", "(|||80)", "|||80|", "(||||)",
                   "(|!|80|)", "(111801)"})
    EXPECT_EQ(parse_epsv_port(bad).error(), make_error_code(Errc::malformed_frame)) << bad;
}

TEST(FtpAddress, EprtArguments) {
  auto a = parse_eprt_argument("|2|::1|5282|");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (FtpExtendedAddress{2, "::1", 5282}));
  EXPECT_EQ(format_eprt_argument(*a), "|2|::1|5282|");
  EXPECT_EQ(parse_eprt_argument("|1|132.235.1.2|6275|").value(),
            (FtpExtendedAddress{1, "132.235.1.2", 6275}));
  for (auto bad : {"|3|1.2.3.4|80|", "|1|::1|80|", "|1|1.2.3.4|80", "|1||80|", "|1|1.2.3.4|0|",
                   "|1|1.2.3.4|8|0|"})
    EXPECT_EQ(parse_eprt_argument(bad).error(), make_error_code(Errc::malformed_frame)) << bad;
}

TEST(FtpList, MlsdFacts) {
  auto e = parse_mlsx_line("Type=file;Size=1024;Modify=20261206120304.5;UNIX.mode=0644; a b.txt");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->parsed);
  EXPECT_EQ(e->name, "a b.txt");
  EXPECT_EQ(e->type, FtpEntryType::file);
  EXPECT_EQ(e->size, 1024U);
  ASSERT_TRUE(e->time);
  EXPECT_EQ(*e->time, (FtpTime{2026, 12, 6, 12, 3, 4, true}));
  EXPECT_EQ(to_unix_seconds(*e->time), 1796558584);
  ASSERT_EQ(e->facts.size(), 4U);
  EXPECT_EQ(e->facts[3], (std::pair<std::string, std::string>{"unix.mode", "0644"}));
  EXPECT_EQ(parse_mlsx_line("type=cdir; .")->type, FtpEntryType::directory);
  for (auto bad : {"type=file;size=1", "type=file;size=1 ", "typefile; x", "type=file x"})
    EXPECT_EQ(parse_mlsx_line(bad).error(), make_error_code(Errc::malformed_frame)) << bad;
}

TEST(FtpList, UnixLines) {
  auto e = parse_list_line("-rw-r--r--    1 1000     1000         1234 Dec 06 12:00  two  spaces");
  EXPECT_TRUE(e.parsed);
  EXPECT_EQ(e.type, FtpEntryType::file);
  EXPECT_EQ(e.size, 1234U);
  EXPECT_EQ(e.name, " two  spaces");
  EXPECT_EQ(*e.time, (FtpTime{0, 12, 6, 12, 0, 0, true}));
  e = parse_list_line("drwxr-xr-x 2 owner 4096 Jan  1  2025 dir");  // no group column
  EXPECT_TRUE(e.parsed);
  EXPECT_EQ(e.type, FtpEntryType::directory);
  EXPECT_EQ(e.name, "dir");
  EXPECT_EQ(*e.time, (FtpTime{2025, 1, 1, 0, 0, 0, false}));
  e = parse_list_line("lrwxrwxrwx 1 u g 7 Mar 3 09:15 link -> target");
  EXPECT_EQ(e.type, FtpEntryType::link);
  EXPECT_EQ(e.name, "link");
  EXPECT_EQ(e.link_target, "target");
  for (auto text : {"total 8", "-rw-r--r-- 1 u g x Dec 06 12:00 f",
                    "-rw-r--r-- 1 u g 1 Dec 06 12:00", "", "garbage line"}) {
    e = parse_list_line(text);
    EXPECT_FALSE(e.parsed) << text;
    EXPECT_EQ(e.raw, text);
    EXPECT_EQ(e.name, "");
  }
}

TEST(FtpList, DosLines) {
  auto e = parse_list_line("12-06-26  12:30PM       <DIR>          My Dir");
  EXPECT_TRUE(e.parsed);
  EXPECT_EQ(e.type, FtpEntryType::directory);
  EXPECT_EQ(e.name, "My Dir");
  EXPECT_EQ(*e.time, (FtpTime{2026, 12, 6, 12, 30, 0, true}));
  e = parse_list_line("01-02-1999  12:05AM                 4096 file.bin");
  EXPECT_EQ(e.type, FtpEntryType::file);
  EXPECT_EQ(e.size, 4096U);
  EXPECT_EQ(*e.time, (FtpTime{1999, 1, 2, 0, 5, 0, true}));
  EXPECT_FALSE(parse_list_line("13-02-1999  12:05AM  1 f").parsed);
  EXPECT_FALSE(parse_list_line("01-02-1999  13:05PM  1 f").parsed);
}

TEST(FtpList, TimeVal) {
  EXPECT_EQ(parse_ftp_timeval("19700101000000").value(), (FtpTime{1970, 1, 1, 0, 0, 0, true}));
  EXPECT_EQ(to_unix_seconds(*parse_ftp_timeval("19700101000000")), 0);
  EXPECT_FALSE(parse_ftp_timeval("2026120612000"));
  EXPECT_FALSE(parse_ftp_timeval("20261306120000"));
  EXPECT_FALSE(to_unix_seconds(FtpTime{0, 12, 6, 12, 0, 0, true}));
}
