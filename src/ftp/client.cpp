#include "sockit/ftp/client.hpp"

#include <charconv>
#include <utility>

#include "ftp/state.hpp"
#include "sockit/codec/ftp_list.hpp"
#include "sockit/stream/io.hpp"

namespace sockit::ftp {

Status Client::State::send(std::string_view line) {
  if (!ftp_command_safe(line)) return fail(std::make_error_code(std::errc::invalid_argument));
  if (options.on_command) {
    // The password never appears in a dialogue shown to people.
    options.on_command(line.starts_with("PASS ") ? std::string_view("PASS ****") : line);
  }
  std::string wire(line);
  wire += "\r\n";
  return send_all(control, wire, reply_deadline());
}

Result<FtpReply> Client::State::read_reply() {
  const Deadline deadline = reply_deadline();
  for (;;) {
    auto r = decoder.next();
    if (!r) return fail(r.error());
    if (*r) {
      last = std::move(**r);
      if (options.on_reply) options.on_reply(last);
      return last;
    }
    auto n = control.read_some(rx, deadline);
    if (!n) return fail(n.error());
    if (*n == 0) return fail(Errc::closed_early);  // the server hung up on us
    decoder.feed(std::string_view(reinterpret_cast<const char*>(rx.data()), *n));
  }
}

Result<FtpReply> Client::State::read_final() {
  for (int i = 0; i < 16; ++i) {  // a server repeating 1xx forever is not waited for
    auto r = read_reply();
    if (!r || !r->preliminary()) return r;
  }
  return fail(FtpErrc::unexpected_reply);
}

Result<FtpReply> Client::State::exchange(std::string_view line) {
  if (auto sent = send(line); !sent) return fail(sent.error());
  return read_final();
}

std::error_code Client::State::refuse(const FtpReply& r) {
  last = r;
  return make_error_code(classify_reply(r.code));
}

Status Client::State::set_type() {
  const char want = options.ascii ? 'A' : 'I';
  if (type == want) return {};
  auto r = exchange(want == 'A' ? "TYPE A" : "TYPE I");
  if (!r) return fail(r.error());
  if (!r->completed()) return fail(refuse(*r));
  type = want;
  return {};
}

namespace {

// AUTH TLS on the plain control connection (RFC 4217 §4). With explicit_try a refusal leaves
// the session plain; with explicit_required it is the error.
Status start_control_tls(Client::State& s) {
  auto r = s.exchange("AUTH TLS");
  if (!r) return fail(r.error());
  if (r->code != 234) {
    if (s.options.tls == TlsMode::explicit_try) {
      s.note("the server refused AUTH TLS: going on without TLS");
      return {};
    }
    s.last = *r;
    return fail(FtpErrc::tls_refused);
  }
  auto shaken =
      s.control.start_tls(*s.options.tls_context, s.options.tls_host, s.reply_deadline(), nullptr);
  if (shaken) s.note("control connection: " + s.control.tls_session()->protocol());
  return shaken;
}

}  // namespace

Client::Client(std::unique_ptr<State> state) noexcept : s_(std::move(state)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Result<Client> Client::connect(std::string_view host, std::string_view port,
                               ClientOptions options) {
  if (options.tls != TlsMode::none && !options.tls_context)
    return fail(std::make_error_code(std::errc::invalid_argument));
  auto s = std::make_unique<State>();
  s->options = std::move(options);
  s->host = std::string(host);
  ConnectOptions co;
  co.deadline = Deadline::after_or_never(s->options.connect_timeout);
  auto tcp = TcpStream::connect(host, port, co);
  if (!tcp) return fail(tcp.error());
  s->control = Channel(std::move(*tcp));
  if (s->options.tls == TlsMode::implicit) {
    if (auto shaken = s->control.start_tls(*s->options.tls_context, s->options.tls_host,
                                           s->reply_deadline(), nullptr);
        !shaken)
      return fail(shaken.error());
  }
  auto greeting = s->read_final();
  if (!greeting) return fail(greeting.error());
  if (greeting->code != 220) return fail(FtpErrc::not_an_ftp_server);
  if (s->options.tls == TlsMode::explicit_try || s->options.tls == TlsMode::explicit_required) {
    if (auto secured = start_control_tls(*s); !secured) return fail(secured.error());
  }
  return Client(std::move(s));
}

Status Client::login(std::string_view user, std::string_view password) {
  auto r = s_->exchange("USER " + std::string(user));
  if (!r) return fail(r.error());
  if (r->intermediate()) {
    r = s_->exchange("PASS " + std::string(password));
    if (!r) return fail(r.error());
  }
  if (!r->completed()) return fail(s_->refuse(*r));
  if (secure()) {
    // RFC 4217 §9: PBSZ 0 then PROT P, so the data connections are protected as well.
    auto pbsz = s_->exchange("PBSZ 0");
    if (!pbsz) return fail(pbsz.error());
    auto prot = s_->exchange("PROT P");
    if (!prot) return fail(prot.error());
    if (!pbsz->completed() || !prot->completed()) {
      s_->last = prot->completed() ? *pbsz : *prot;
      return fail(FtpErrc::tls_refused);
    }
    s_->protect_data = true;
  }
  return s_->set_type();
}

Result<FtpReply> Client::command(std::string_view line) {
  return s_->exchange(line);
}

Result<std::optional<std::uint64_t>> Client::size(std::string_view path) {
  if (auto typed = s_->set_type(); !typed) return fail(typed.error());
  auto r = s_->exchange("SIZE " + std::string(path));
  if (!r) return fail(r.error());
  if (r->code == 550) return fail(s_->refuse(*r));  // no such file: no point in RETR
  std::uint64_t n = 0;
  const auto text = r->text();
  if (r->code != 213 || text.empty()) return std::optional<std::uint64_t>{};
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p != text.data() + text.size()) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>(n);
}

Result<std::optional<FtpTime>> Client::modification_time(std::string_view path) {
  auto r = s_->exchange("MDTM " + std::string(path));
  if (!r) return fail(r.error());
  if (r->code != 213) return std::optional<FtpTime>{};
  return parse_ftp_timeval(r->text());
}

Status Client::make_dirs(std::string_view dir) {
  std::size_t at = 0;
  while (at < dir.size()) {
    auto slash = dir.find('/', at + 1);
    if (slash == std::string_view::npos) slash = dir.size();
    const auto prefix = dir.substr(0, slash);
    at = slash;
    if (prefix.empty() || prefix == "/") continue;
    // 257 created; 550/521 mostly "exists": the transfer that follows says if it did not.
    auto r = s_->exchange("MKD " + std::string(prefix));
    if (!r) return fail(r.error());
  }
  return {};
}

Status Client::quit() {
  auto r = s_->exchange("QUIT");
  (void)s_->control.shutdown(ShutdownHow::both, s_->reply_deadline());
  if (!r) return fail(r.error());
  return {};
}

const FtpReply& Client::last_reply() const noexcept {
  return s_->last;
}
std::uint64_t Client::transferred() const noexcept {
  return s_->transferred;
}
std::optional<std::uint64_t> Client::expected() const noexcept {
  return s_->expected;
}
bool Client::secure() const noexcept {
  return s_->control.tls_session() != nullptr;
}
std::string Client::tls_protocol() const {
  const auto* t = s_->control.tls_session();
  return t != nullptr ? t->protocol() : std::string();
}

}  // namespace sockit::ftp
