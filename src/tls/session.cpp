// The sans-I/O engine: OpenSSL between two memory BIOs (see docs/decisions.md).
#include "sockit/tls/session.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>
#include <ctime>

#include "sockit/net/address.hpp"
#include "tls/openssl.hpp"

namespace sockit {

struct TlsSession::Impl {
  tls_detail::SslPtr ssl;
  BIO* in = nullptr;   // ciphertext from the peer (owned by ssl)
  BIO* out = nullptr;  // ciphertext to send (owned by ssl)
  std::shared_ptr<TlsClientContext::Impl> client;
  std::shared_ptr<TlsServerContext::Impl> server;
  std::string cache_key;  // "<host>|<caller's key>": a session is offered to its own name only
  std::error_code error;
  bool eof = false;
  // OpenSSL's SSL_is_init_finished turns false again after a fatal error; this does not.
  bool established = false;

  /// The error for a call that failed with SSL_ERROR_SSL or SSL_ERROR_SYSCALL.
  std::error_code classify() {
    const unsigned long e = ::ERR_peek_error();
    const int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
    if ((e == 0 && eof) || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      ::ERR_clear_error();
      return established ? TlsErrc::truncated : TlsErrc::handshake_eof;
    }
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      ::ERR_clear_error();
      const long result = ::SSL_get_verify_result(ssl.get());
      if (client && client->pin && result == X509_V_ERR_APPLICATION_VERIFICATION) {
        return TlsErrc::pin_mismatch;
      }
      return tls_verify_error(static_cast<int>(result));
    }
    return tls_detail::take_openssl_error(TlsErrc::internal);
  }

  /// Maps a failed OpenSSL call to progress, or records and returns the session's error.
  Result<TlsProgress> after_failure(int ret) {
    switch (::SSL_get_error(ssl.get(), ret)) {
      case SSL_ERROR_WANT_READ:
        if (!eof) return TlsProgress::want_input;
        // EOF fed and OpenSSL still wants bytes: the peer stopped mid-stream.
        error = established ? make_error_code(TlsErrc::truncated)
                            : make_error_code(TlsErrc::handshake_eof);
        return fail(error);
      case SSL_ERROR_WANT_WRITE:  // a memory BIO always takes writes; keep it safe anyway
        return TlsProgress::want_output;
      case SSL_ERROR_ZERO_RETURN:
        return TlsProgress::closed;
      default:
        error = classify();
        return fail(error);
    }
  }

  Result<TlsProgress> handshake() {
    if (error) return fail(error);
    if (established) return TlsProgress::done;
    const int ret = ::SSL_do_handshake(ssl.get());
    if (ret == 1) {
      established = true;
      return TlsProgress::done;
    }
    return after_failure(ret);
  }
};

namespace tls_detail {

int on_new_client_session(SSL* ssl, SSL_SESSION* session) {
  auto* impl = static_cast<TlsSession::Impl*>(SSL_get_app_data(ssl));
  if (impl == nullptr || !impl->client || impl->cache_key.empty()) return 0;
  impl->client->cache.put(impl->cache_key, session);
  return 0;  // the cache kept a copy; OpenSSL keeps its own reference
}

}  // namespace tls_detail

namespace {

Result<std::unique_ptr<TlsSession::Impl>> new_impl(SSL_CTX* ctx) {
  auto impl = std::make_unique<TlsSession::Impl>();
  impl->ssl.reset(::SSL_new(ctx));
  impl->in = ::BIO_new(::BIO_s_mem());
  impl->out = ::BIO_new(::BIO_s_mem());
  if (!impl->ssl || impl->in == nullptr || impl->out == nullptr) {
    ::BIO_free(impl->in);
    ::BIO_free(impl->out);
    return fail(tls_detail::take_openssl_error(TlsErrc::internal));
  }
  // An empty input BIO means "no bytes yet" (retry), not EOF, until feed_eof() says so.
  BIO_set_mem_eof_return(impl->in, -1);
  ::SSL_set_bio(impl->ssl.get(), impl->in, impl->out);
  SSL_set_app_data(impl->ssl.get(), impl.get());
  return impl;
}

// Names the server: SNI and a DNS check for a name, an IP SAN check (and no SNI) for a literal.
Status set_peer_name(SSL* ssl, std::string_view host, bool check) {
  std::string name(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  if (IpAddress::parse(name)) {
    name = name.substr(0, name.find('%'));  // a zone names our interface, not the certificate's
    if (check && ::X509_VERIFY_PARAM_set1_ip_asc(::SSL_get0_param(ssl), name.c_str()) != 1) {
      return fail(tls_detail::take_openssl_error(TlsErrc::internal));
    }
    return {};
  }
  // SSL_set_tlsext_host_name without its macro's C cast.
  if (::SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, name.data()) != 1) {
    return fail(tls_detail::take_openssl_error(TlsErrc::internal));
  }
  if (!check) return {};
  ::SSL_set_hostflags(ssl,
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  if (::SSL_set1_host(ssl, name.c_str()) != 1) {
    return fail(tls_detail::take_openssl_error(TlsErrc::internal));
  }
  return {};
}

}  // namespace

Result<TlsSession> TlsSession::client(const TlsClientContext& context, std::string_view host,
                                      std::string_view cache_key) {
  const auto& shared = context.impl();
  // A pin names one certificate exactly; the name check is for chains only.
  const bool check_name = shared->options.verify && !shared->pin;
  if (check_name && host.empty()) return fail(TlsErrc::no_host_name);
  auto impl = new_impl(shared->ctx.get());
  if (!impl) return fail(impl.error());
  (*impl)->client = shared;
  SSL* ssl = (*impl)->ssl.get();
  if (!host.empty()) {
    if (auto named = set_peer_name(ssl, host, check_name); !named) return fail(named.error());
  }
  if (!cache_key.empty()) {
    (*impl)->cache_key = std::string(host) + "|" + std::string(cache_key);
    if (SSL_SESSION* saved = shared->cache.take((*impl)->cache_key)) {
      const int set = ::SSL_set_session(ssl, saved);
      ::SSL_SESSION_free(saved);
      if (set != 1) ::ERR_clear_error();  // resumption is an optimisation: go on without it
    }
  }
  ::SSL_set_connect_state(ssl);
  return TlsSession(std::move(*impl));
}

Result<TlsSession> TlsSession::client_resuming(const TlsClientContext& context,
                                               std::string_view host, const TlsSession& previous) {
  auto session = client(context, host);
  if (!session) return session;
  if (SSL_SESSION* saved = ::SSL_get1_session(previous.impl_->ssl.get())) {
    const int set = ::SSL_set_session(session->impl_->ssl.get(), saved);
    ::SSL_SESSION_free(saved);
    if (set != 1) ::ERR_clear_error();  // the server decides; a full handshake may still do
  }
  return session;
}

Result<TlsSession> TlsSession::server(const TlsServerContext& context) {
  auto impl = new_impl(context.impl()->ctx.get());
  if (!impl) return fail(impl.error());
  (*impl)->server = context.impl();
  ::SSL_set_accept_state((*impl)->ssl.get());
  return TlsSession(std::move(*impl));
}

TlsSession::TlsSession(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
TlsSession::TlsSession(TlsSession&&) noexcept = default;
TlsSession& TlsSession::operator=(TlsSession&&) noexcept = default;
TlsSession::~TlsSession() = default;

std::size_t TlsSession::feed(std::span<const std::byte> ciphertext) {
  if (impl_->eof) return 0;
  const std::size_t buffered = ::BIO_ctrl_pending(impl_->in);
  const std::size_t room = buffered >= kMaxBufferedInput ? 0 : kMaxBufferedInput - buffered;
  const std::size_t n = std::min(room, ciphertext.size());
  if (n == 0) return 0;
  const int written = ::BIO_write(impl_->in, ciphertext.data(), static_cast<int>(n));
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

void TlsSession::feed_eof() noexcept {
  impl_->eof = true;
  BIO_set_mem_eof_return(impl_->in, 0);
}

Result<TlsProgress> TlsSession::handshake() {
  return impl_->handshake();
}

Result<TlsIo> TlsSession::read(std::span<std::byte> out) {
  auto ready = impl_->handshake();
  if (!ready) return fail(ready.error());
  if (*ready != TlsProgress::done) return TlsIo{0, *ready};
  if (out.empty()) return TlsIo{};
  std::size_t n = 0;
  const int ret = ::SSL_read_ex(impl_->ssl.get(), out.data(), out.size(), &n);
  if (ret == 1) return TlsIo{n, TlsProgress::done};
  auto progress = impl_->after_failure(ret);
  if (!progress) return fail(progress.error());
  return TlsIo{0, *progress};
}

Result<TlsIo> TlsSession::write(std::span<const std::byte> data) {
  if (impl_->error) return fail(impl_->error);
  if ((::SSL_get_shutdown(impl_->ssl.get()) & SSL_SENT_SHUTDOWN) != 0) {
    return fail(TlsErrc::session_closed);
  }
  if (pending_output() > kMaxBufferedOutput) return TlsIo{0, TlsProgress::want_output};
  auto ready = impl_->handshake();
  if (!ready) return fail(ready.error());
  if (*ready != TlsProgress::done) return TlsIo{0, *ready};
  if (data.empty()) return TlsIo{};
  std::size_t n = 0;
  const std::size_t chunk = std::min(data.size(), kMaxBufferedOutput);
  const int ret = ::SSL_write_ex(impl_->ssl.get(), data.data(), chunk, &n);
  if (ret == 1) return TlsIo{n, TlsProgress::done};
  auto progress = impl_->after_failure(ret);
  if (!progress) return fail(progress.error());
  return TlsIo{0, *progress};
}

Status TlsSession::close() {
  if (impl_->error) return fail(impl_->error);
  if ((::SSL_get_shutdown(impl_->ssl.get()) & SSL_SENT_SHUTDOWN) != 0) return {};
  if (::SSL_shutdown(impl_->ssl.get()) < 0) {
    return fail(tls_detail::take_openssl_error(TlsErrc::internal));
  }
  return {};
}

std::size_t TlsSession::pending_output() const noexcept {
  return ::BIO_ctrl_pending(impl_->out);
}

std::size_t TlsSession::take_output(std::span<std::byte> out) noexcept {
  if (out.empty()) return 0;
  const int n = ::BIO_read(impl_->out, out.data(),
                           static_cast<int>(std::min<std::size_t>(out.size(), 1U << 30)));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool TlsSession::is_client() const noexcept {
  return impl_->client != nullptr;
}
bool TlsSession::handshake_done() const noexcept {
  return impl_->established;
}
bool TlsSession::peer_closed() const noexcept {
  return (::SSL_get_shutdown(impl_->ssl.get()) & SSL_RECEIVED_SHUTDOWN) != 0;
}
std::error_code TlsSession::error() const noexcept {
  return impl_->error;
}

std::string TlsSession::protocol() const {
  return ::SSL_get_version(impl_->ssl.get());
}

std::string TlsSession::cipher() const {
  const SSL_CIPHER* c = ::SSL_get_current_cipher(impl_->ssl.get());
  return c != nullptr ? ::SSL_CIPHER_get_name(c) : "";
}

std::string TlsSession::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  ::SSL_get0_alpn_selected(impl_->ssl.get(), &data, &length);
  return data != nullptr ? std::string(reinterpret_cast<const char*>(data), length) : "";
}

bool TlsSession::resumed() const noexcept {
  return ::SSL_session_reused(impl_->ssl.get()) == 1;
}

std::string TlsSession::server_name() const {
  const char* name = ::SSL_get_servername(impl_->ssl.get(), TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : "";
}

std::string TlsSession::peer_fingerprint() const {
  X509* peer = ::SSL_get0_peer_certificate(impl_->ssl.get());
  return peer != nullptr ? format_sha256_fingerprint(tls_detail::fingerprint_of(peer)) : "";
}

namespace {

std::string name_text(const X509_NAME* name) {
  tls_detail::BioPtr bio(::BIO_new(::BIO_s_mem()));
  if (!bio || ::X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::int64_t epoch_of(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ::ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::vector<std::string> sans_of(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(::X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_DNS) {
      const ASN1_STRING* dns = gn->d.dNSName;
      out.push_back("DNS:" +
                    std::string(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(dns)),
                                static_cast<std::size_t>(::ASN1_STRING_length(dns))));
    } else if (gn->type == GEN_IPADD) {
      const int length = ::ASN1_STRING_length(gn->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = {};
      const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : -1;
      if (family > 0 &&
          ::inet_ntop(family, ::ASN1_STRING_get0_data(gn->d.iPAddress), text, sizeof text)) {
        out.push_back(std::string("IP:") + text);
      }
    }
  }
  ::GENERAL_NAMES_free(names);
  return out;
}

}  // namespace

std::optional<TlsCertificateInfo> TlsSession::peer_certificate() const {
  X509* peer = ::SSL_get0_peer_certificate(impl_->ssl.get());
  if (peer == nullptr) return std::nullopt;
  return TlsCertificateInfo{
      name_text(::X509_get_subject_name(peer)), name_text(::X509_get_issuer_name(peer)),
      sans_of(peer), epoch_of(::X509_get0_notBefore(peer)), epoch_of(::X509_get0_notAfter(peer))};
}

}  // namespace sockit
