// The message `sockit mail` sends: read as it is (-T FILE, stdin) or built from --subject,
// --header, --body, --body-file and --attach; then encoded for DATA.
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "mail.hpp"
#include "output.hpp"
#include "sockit/codec/smtp_message.hpp"

namespace sockit::cli {
namespace {

// A message bigger than this is surely a mistake (a disk image given to -T); it would be read
// into memory whole.
constexpr std::size_t kMaxFile = 100 * 1024 * 1024;

// The whole of `path` ("-": stdin), or "" with `usage` set.
Result<std::string> read_file(const char* option, const std::string& path, std::string& usage) {
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::error_code ec;
  std::string data;
  if (fd < 0) ec = sys_error();
  std::array<char, 64 * 1024> chunk{};
  while (!ec) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ec = sys_error();
    if (n <= 0) break;
    data.append(chunk.data(), static_cast<std::size_t>(n));
    if (data.size() > kMaxFile) {
      usage = fmt::format("{} {}: larger than {} MiB", option, show_arg(path), kMaxFile >> 20);
      if (!is_stdin) ::close(fd);
      return fail(std::make_error_code(std::errc::file_too_large));
    }
  }
  if (fd > 0) ::close(fd);
  if (ec) {
    usage = fmt::format("{} {}: {}", option, show_arg(path), ec.message());
    return fail(ec);
  }
  return data;
}

std::string random_token() {
  std::array<unsigned char, 12> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  std::string out = std::to_string(std::time(nullptr)) + ".";
  for (const unsigned char b : bytes)
    out += fmt::format("{:02x}", b);
  return out;
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::string> build(const MailArgs& a, std::string& usage) {
  SmtpMessageSpec spec;
  spec.from = a.from;
  spec.to = a.rcpt;
  spec.subject = a.subject;
  for (const auto& h : a.headers) {
    const std::size_t colon = h.find(':');
    if (colon == std::string::npos) {
      usage = fmt::format("--header {}: write it as 'Name: value'", quote_arg(h));
      return fail(SmtpClientErrc::invalid_header);
    }
    std::string value = h.substr(colon + 1);
    if (value.starts_with(' ')) value.erase(0, 1);
    spec.headers.emplace_back(h.substr(0, colon), value);
  }
  spec.body = a.body;
  if (!a.body_file.empty()) {
    auto text = read_file("--body-file", a.body_file, usage);
    if (!text) return fail(text.error());
    spec.body = std::move(*text);
  }
  for (const auto& path : a.attach) {
    auto data = read_file("--attach", path, usage);
    if (!data) return fail(data.error());
    spec.attachments.push_back({base_name(path), "", std::move(*data)});
  }
  spec.date = std::time(nullptr);
  spec.unique = random_token();
  spec.message_id_domain = a.helo;
  auto message = build_smtp_message(spec);
  if (!message) {
    usage =
        "cannot build the message: a --header, --subject or file name holds a line break, "
        "or a header name is not printable ASCII without ':'";
  }
  return message;
}

}  // namespace

Result<MailPayload> make_mail_payload(const MailArgs& a, std::string& usage) {
  auto message = a.builds_message() ? build(a, usage)
                                    : read_file("-T", a.upload.empty() ? "-" : a.upload, usage);
  if (!message) return fail(message.error());
  SmtpDataEncoder encoder;
  MailPayload p;
  Status st = encoder.encode(*message, p.wire);
  if (st) st = encoder.finish(p.wire);
  if (!st) {
    usage = fmt::format(
        "line {} of the message is longer than 998 octets (RFC 5321 4.5.3.1.6): not sent; wrap "
        "it, or send the text with --attach",
        encoder.line());
    return fail(st.error());
  }
  p.size = p.wire.size() - 3;
  p.eight_bit = encoder.eight_bit();
  return p;
}

}  // namespace sockit::cli
