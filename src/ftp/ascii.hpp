// TYPE A (RFC 959 3.1.1.1): on the wire every line ends in CRLF, whatever the two hosts use.
// This host's lines end in LF, so an upload turns each LF that has no CR before it into CRLF
// (a file that already has CRLF goes out unchanged, not as CR CR LF), and a download turns each
// CRLF back into LF (a CR alone is data and stays). Both remember the last byte, so a CRLF split
// between two chunks is converted like any other.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace sockit::ftp {

class AsciiEncoder {
 public:
  /// Appends `in`, converted, to `out`.
  void encode(std::span<const std::byte> in, std::vector<std::byte>& out) {
    for (const std::byte b : in) {
      if (b == std::byte{'\n'} && !after_cr_) out.push_back(std::byte{'\r'});
      out.push_back(b);
      after_cr_ = b == std::byte{'\r'};
    }
  }

 private:
  bool after_cr_ = false;
};

class AsciiDecoder {
 public:
  /// Appends `in`, converted, to `out`; a CR at the end of `in` waits for the next byte.
  void decode(std::span<const std::byte> in, std::vector<std::byte>& out) {
    for (const std::byte b : in) {
      if (held_cr_) {
        held_cr_ = false;
        if (b == std::byte{'\n'}) {
          out.push_back(b);
          continue;
        }
        out.push_back(std::byte{'\r'});
      }
      if (b == std::byte{'\r'}) {
        held_cr_ = true;
      } else {
        out.push_back(b);
      }
    }
  }
  /// At the end of the data: a CR still held was the last byte.
  void finish(std::vector<std::byte>& out) {
    if (held_cr_) out.push_back(std::byte{'\r'});
    held_cr_ = false;
  }

 private:
  bool held_cr_ = false;
};

}  // namespace sockit::ftp
