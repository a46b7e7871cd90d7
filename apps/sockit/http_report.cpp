// `sockit http`: what it prints besides the body: -v, -w, --timing and the progress meter.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "http_args.hpp"
#include "output.hpp"

namespace sockit::cli {
namespace {

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string version_text(HttpVersion v) {
  return v.minor == 0 ? "1.0" : "1.1";
}

// curl's -w variables that are numbers (times in seconds, sizes in bytes).
std::map<std::string, double> numbers(const TransferReport& r) {
  const auto& t = r.response.timings;
  const double total = seconds(r.total);
  const double speed = total > 0 ? static_cast<double>(r.size_download) / total : 0;
  return {
      {"time_namelookup", seconds(t.namelookup)},
      {"time_connect", seconds(t.connect)},
      {"time_appconnect", seconds(t.appconnect)},
      {"time_pretransfer", seconds(t.pretransfer)},
      {"time_starttransfer", seconds(t.starttransfer)},
      {"time_total", total},
      {"size_download", static_cast<double>(r.size_download)},
      {"size_header", static_cast<double>(r.response.header_bytes)},
      {"size_request", static_cast<double>(r.response.request_bytes)},
      {"speed_download", speed},
      {"num_redirects", r.num_redirects},
      {"num_connects", r.num_connects},
      {"http_code", r.have_response ? r.response.status : 0},
      {"response_code", r.have_response ? r.response.status : 0},
      {"exitcode", r.exit_code},
      {"remote_port", r.have_response && r.response.peer.is_ip() ? r.response.peer.port() : 0},
      {"local_port", r.have_response && r.response.local.is_ip() ? r.response.local.port() : 0}};
}

std::map<std::string, std::string> texts(const TransferReport& r) {
  const auto& resp = r.response;
  const bool ip = r.have_response && resp.peer.is_ip();
  return {
      {"url_effective", r.url_effective},
      {"method", r.method},
      {"remote_ip", ip ? resp.peer.address().to_string() : ""},
      {"local_ip", r.have_response && resp.local.is_ip() ? resp.local.address().to_string() : ""},
      {"content_type", std::string(resp.find("content-type"))},
      {"redirect_url", std::string(resp.find("location"))},
      {"http_version", r.have_response ? version_text(resp.version) : "0"},
      {"scheme", r.url_effective.starts_with("https") ? "HTTPS" : "HTTP"},
      {"errormsg", r.error}};
}

// A number as curl prints it: times with 6 decimals, whole numbers without.
std::string number_text(const std::string& name, double v) {
  if (name.starts_with("time_")) return fmt::format("{:.6f}", v);
  if (name.starts_with("speed_")) return fmt::format("{:.0f}", v);
  return fmt::format("{}", static_cast<long long>(v));
}

std::string ms(Clock::duration d) {
  return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

std::string write_out_json(const TransferReport& r) {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [name, v] : numbers(r)) {
    if (name.starts_with("time_"))
      doc[name] = v;
    else
      doc[name] = static_cast<long long>(v);
  }
  for (const auto& [name, v] : texts(r))
    doc[name] = v;
  return doc.dump();
}

void write_out(const std::string& format, const TransferReport& r) {
  const auto nums = numbers(r);
  const auto strs = texts(r);
  std::FILE* out = stdout;
  std::string text;
  auto flush = [&] {
    std::fwrite(text.data(), 1, text.size(), out);
    text.clear();
  };
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '\\' && i + 1 < format.size()) {
      const char e = format[++i];
      text += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
      if (e != 'n' && e != 'r' && e != 't' && e != '\\') text.insert(text.size() - 1, "\\");
      continue;
    }
    if (c == '%' && i + 1 < format.size() && format[i + 1] == '%') {
      text += '%';
      ++i;
      continue;
    }
    const auto close = format.find('}', i);
    if (c != '%' || i + 1 >= format.size() || format[i + 1] != '{' || close == std::string::npos) {
      text += c;
      continue;
    }
    const std::string name = format.substr(i + 2, close - i - 2);
    i = close;
    if (name == "stderr" || name == "stdout") {
      flush();
      out = name == "stderr" ? stderr : stdout;
    } else if (name == "json") {
      text += write_out_json(r);
    } else if (auto n = nums.find(name); n != nums.end()) {
      text += number_text(name, n->second);
    } else if (auto s = strs.find(name); s != strs.end()) {
      text += s->second;
    } else {
      text += "%{" + name + "}";  // unknown: printed as typed, as curl does
    }
  }
  flush();
  std::fflush(out);
}

void print_timing(const TransferReport& r) {
  const auto& t = r.response.timings;
  const auto dns = t.namelookup;
  const auto tcp = t.connect > t.namelookup ? t.connect - t.namelookup : Clock::duration{};
  const auto tls = t.appconnect > t.connect ? t.appconnect - t.connect : Clock::duration{};
  const auto server = t.starttransfer - t.pretransfer;
  const auto transfer = r.total > t.starttransfer ? r.total - t.starttransfer : Clock::duration{};
  const std::string cells[] = {ms(dns), ms(tcp), ms(tls), ms(server), ms(transfer)};
  const char* names[] = {"DNS Lookup", "TCP Connection", "TLS Handshake", "Server Processing",
                         "Content Transfer"};
  std::string top = " ", bar = "[", marks = " ";
  for (int i = 0; i < 5; ++i) {
    const std::string name = names[i];
    const std::size_t width = name.size() + 2;
    top += fmt::format(" {} ", name) + (i < 4 ? " " : "");
    bar += fmt::format("{:^{}}", cells[i], width) + (i < 4 ? "|" : "]");
    marks += std::string(width, ' ') + "|";
  }
  while (top.ends_with(' '))
    top.pop_back();
  std::string picture = top + "\n" + bar + "\n" + marks + "\n";
  const std::pair<const char*, Clock::duration> totals[] = {{"namelookup", t.namelookup},
                                                            {"connect", t.connect},
                                                            {"pretransfer", t.pretransfer},
                                                            {"starttransfer", t.starttransfer},
                                                            {"total", r.total}};
  std::size_t column = 0;
  for (int i = 0; i < 5; ++i) {
    column += std::string(names[i]).size() + 3;
    const std::string label = fmt::format("{}:{}", totals[i].first, ms(totals[i].second));
    const std::size_t pad = column > label.size() ? column - label.size() : 0;
    picture += std::string(pad, ' ') + label + "\n";
  }
  if (r.response.reused) picture += "  (connection reused: no DNS, connect or TLS)\n";
  std::fputs(picture.c_str(), stderr);
}

void verbose_note(std::string_view line) {
  std::fputs(("* " + one_line(line) + "\n").c_str(), stderr);
}

void verbose_head(char marker, std::string_view head) {
  std::string out;
  while (!head.empty()) {
    const auto end = head.find("\r\n");
    const std::string_view line = head.substr(0, end);
    out += marker;
    out += ' ';
    out += one_line(line);
    out += '\n';
    if (end == std::string_view::npos) break;
    head.remove_prefix(end + 2);
  }
  std::fputs(out.c_str(), stderr);
}

void HttpProgress::start(std::uint64_t expected) {
  expected_ = expected;
  start_ = last_ = Clock::now();
}

void HttpProgress::update(std::uint64_t received) {
  if (!on_) return;
  const auto now = Clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  draw(received);
}

void HttpProgress::draw(std::uint64_t received) {
  const double elapsed = seconds(Clock::now() - start_);
  const double rate = elapsed > 0 ? static_cast<double>(received) / elapsed : 0;
  std::string line = fmt::format("\r  {:.1f} MiB", static_cast<double>(received) / 1048576.0);
  if (expected_ > 0)
    line += fmt::format(" of {:.1f} MiB", static_cast<double>(expected_) / 1048576.0);
  line += fmt::format("  {:.1f} MiB/s", rate / 1048576.0);
  if (expected_ > received && rate > 0) {
    const auto eta = static_cast<long long>(static_cast<double>(expected_ - received) / rate);
    line += fmt::format("  ETA {}:{:02}", eta / 60, eta % 60);
  }
  line += "   ";
  std::fputs(line.c_str(), stderr);
  drawn_ = true;
}

void HttpProgress::end() {
  if (!on_ || !drawn_) return;
  std::fputs("\n", stderr);
  drawn_ = false;
}

}  // namespace sockit::cli
