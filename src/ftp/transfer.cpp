// Transfers over a data connection: RETR, MLSD/LIST, NLST (uploads: upload.cpp).
#include <array>
#include <string>
#include <utility>

#include "ftp/ascii.hpp"
#include "ftp/state.hpp"
#include "sockit/codec/ftp_list.hpp"
#include "sockit/stream/io.hpp"

namespace sockit::ftp {
namespace {

constexpr std::size_t kChunk = 256 * 1024;
constexpr std::size_t kMaxListing = 64 * 1024 * 1024;  // a listing is held in memory

// Reads the data connection to its end, each read under the inactivity deadline. `ascii`:
// TYPE A's CRLF line ends become LF before the sink sees them.
Status pump_in(Client::State& s, Channel& ch, const Sink& sink, bool ascii) {
  std::vector<std::byte> buf(kChunk);
  std::vector<std::byte> text;
  AsciiDecoder decoder;
  for (;;) {
    auto n = ch.read_some(buf, s.data_deadline());
    if (!n) return fail(n.error());
    std::span<const std::byte> got = std::span(buf).first(*n);
    if (ascii) {
      text.clear();
      if (*n == 0) decoder.finish(text);
      decoder.decode(got, text);
      got = text;
    }
    s.transferred += *n;
    if (!got.empty())
      if (auto kept = sink(got); !kept) return kept;
    s.progress();
    if (*n == 0) return {};
  }
}

Result<std::string> fetch_text(Client::State& s, std::string_view command) {
  if (auto typed = s.set_type(); !typed) return fail(typed.error());
  auto pending = prepare_data(s);
  if (!pending) return fail(pending.error());
  auto ch = open_data(s, std::move(*pending), command);
  if (!ch) return fail(ch.error());
  std::string text;
  s.transferred = 0;
  const Sink sink = [&](std::span<const std::byte> b) -> Status {
    if (text.size() + b.size() > kMaxListing) return fail(Errc::frame_too_long);
    text.append(reinterpret_cast<const char*>(b.data()), b.size());
    return {};
  };
  Status pumped = pump_in(s, *ch, sink, false);
  *ch = Channel();
  if (auto done = finish_transfer(s, pumped); !done) return fail(done.error());
  return text;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (!line.empty()) f(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool is_dot_entry(const FtpEntry& e) {
  for (const auto& [name, value] : e.facts)
    if (name == "type" && (value == "cdir" || value == "pdir" || value == "CDIR" ||
                           value == "PDIR" || value == "Cdir" || value == "Pdir"))
      return true;
  return false;
}

}  // namespace

// The transfer's end: the data connection is done (or failed), the 226 decides.
Status finish_transfer(Client::State& s, Status pumped) {
  if (!pumped) return pumped;  // the server's reply may never come: do not wait for it
  auto r = s.read_final();
  if (!r) return fail(r.error());
  if (!r->completed()) return fail(s.refuse(*r));
  return {};
}

Result<TransferResult> Client::retrieve(std::string_view path, const Sink& sink,
                                        std::uint64_t offset) {
  State& s = *s_;
  s.transferred = 0;
  s.expected.reset();
  TransferResult out;
  if (auto typed = s.set_type(); !typed) return fail(typed.error());
  // In ASCII mode line endings change on the way, so SIZE would not count what arrives (and
  // some servers refuse SIZE in that mode): no check then.
  if (!s.options.ascii) {
    auto known = size(path);
    if (!known) return fail(known.error());
    if (*known) out.expected = **known > offset ? **known - offset : 0;
  }
  s.expected = out.expected;
  if (offset > 0) {
    auto r = s.exchange("REST " + std::to_string(offset));
    if (!r) return fail(r.error());
    if (r->code != 350) return fail(s.refuse(*r));
  }
  auto pending = prepare_data(s);
  if (!pending) return fail(pending.error());
  auto ch = open_data(s, std::move(*pending), "RETR " + std::string(path));
  if (!ch) return fail(ch.error());
  Status pumped = pump_in(s, *ch, sink, s.options.ascii);
  *ch = Channel();
  out.bytes = s.transferred;
  if (auto done = finish_transfer(s, pumped); !done) return fail(done.error());
  if (out.expected && out.bytes < *out.expected) return fail(FtpErrc::short_transfer);
  return out;
}

Result<std::vector<FtpEntry>> Client::list(std::string_view path) {
  State& s = *s_;
  const std::string arg = path.empty() ? std::string() : " " + std::string(path);
  auto text = fetch_text(s, "MLSD" + arg);
  const bool mlsd = text.has_value();
  if (!text) {
    // 500/502: MLSD unknown to this server (vsftpd); LIST is the fallback everyone has.
    const bool unknown = s.last.code == 500 || s.last.code == 502;
    if (!(unknown && text.error() == make_error_code(FtpErrc::command_failed)))
      return fail(text.error());
    s.note("the server does not support MLSD: using LIST");
    text = fetch_text(s, "LIST" + arg);
    if (!text) return fail(text.error());
  }
  std::vector<FtpEntry> entries;
  for_each_line(*text, [&](std::string_view line) {
    if (!mlsd) {
      entries.push_back(parse_list_line(line));
      return;
    }
    auto e = parse_mlsx_line(line);
    if (!e) {
      FtpEntry raw;
      raw.raw = std::string(line);
      entries.push_back(std::move(raw));
    } else if (!is_dot_entry(*e)) {
      entries.push_back(std::move(*e));
    }
  });
  return entries;
}

Result<std::vector<std::string>> Client::name_list(std::string_view path) {
  const std::string arg = path.empty() ? std::string() : " " + std::string(path);
  auto text = fetch_text(*s_, "NLST" + arg);
  if (!text) return fail(text.error());
  std::vector<std::string> names;
  for_each_line(*text, [&](std::string_view line) { names.emplace_back(line); });
  return names;
}

}  // namespace sockit::ftp
