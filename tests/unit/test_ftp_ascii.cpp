// TYPE A line-end conversion (src/ftp/ascii.hpp): the same result however the bytes are split
// into chunks, a CRLF cut between two chunks included.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ftp/ascii.hpp"

using sockit::ftp::AsciiDecoder;
using sockit::ftp::AsciiEncoder;

namespace {

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string text(const std::vector<std::byte>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// Encodes (or decodes) `in` given in two chunks cut at `cut`.
std::string encode_split(std::string_view in, std::size_t cut) {
  AsciiEncoder e;
  std::vector<std::byte> out;
  e.encode(bytes(in.substr(0, cut)), out);
  e.encode(bytes(in.substr(cut)), out);
  return text(out);
}

std::string decode_split(std::string_view in, std::size_t cut) {
  AsciiDecoder d;
  std::vector<std::byte> out;
  d.decode(bytes(in.substr(0, cut)), out);
  d.decode(bytes(in.substr(cut)), out);
  d.finish(out);
  return text(out);
}

}  // namespace

TEST(FtpAscii, UploadSendsEveryLineEndAsCrlfWhateverTheChunks) {
  const std::string_view in = "a\nb\r\nc\rd\n\n";
  for (std::size_t cut = 0; cut <= in.size(); ++cut)
    EXPECT_EQ(encode_split(in, cut), "a\r\nb\r\nc\rd\r\n\r\n") << "cut at " << cut;
}

TEST(FtpAscii, DownloadTurnsCrlfIntoLfWhateverTheChunks) {
  const std::string_view in = "one\r\ntwo\r\rthree\rfour\r\n\r";
  for (std::size_t cut = 0; cut <= in.size(); ++cut)
    EXPECT_EQ(decode_split(in, cut), "one\ntwo\r\rthree\rfour\n\r") << "cut at " << cut;
}
