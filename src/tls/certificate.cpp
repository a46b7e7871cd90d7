#include "tls/certificate.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cctype>

#include "sockit/tls/context.hpp"
#include "tls/openssl.hpp"

namespace sockit {

Result<Sha256> parse_sha256_fingerprint(std::string_view text) {
  constexpr std::string_view kPrefix = "sha256 fingerprint=";
  if (text.size() > kPrefix.size()) {
    bool prefixed = true;
    for (std::size_t i = 0; i < kPrefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(text[i])) != kPrefix[i]) prefixed = false;
    }
    if (prefixed) text.remove_prefix(kPrefix.size());
  }
  Sha256 out{};
  std::size_t nibbles = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    // A colon is allowed only between two complete bytes.
    if (c == ':' && nibbles % 2 == 0 && nibbles > 0 && i + 1 < text.size()) continue;
    const int lower = std::tolower(static_cast<unsigned char>(c));
    int value = -1;
    if (lower >= '0' && lower <= '9') value = lower - '0';
    if (lower >= 'a' && lower <= 'f') value = lower - 'a' + 10;
    if (value < 0 || nibbles >= 64) return fail(TlsErrc::invalid_fingerprint);
    auto& byte = out[nibbles / 2];
    byte = static_cast<std::uint8_t>(nibbles % 2 == 0 ? value << 4 : byte | value);
    ++nibbles;
  }
  if (nibbles != 64) return fail(TlsErrc::invalid_fingerprint);
  return out;
}

std::string format_sha256_fingerprint(const Sha256& fingerprint) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (const auto byte : fingerprint) {
    if (!text.empty()) text += ':';
    text += kHex[byte >> 4];
    text += kHex[byte & 0xf];
  }
  return text;
}

namespace tls_detail {
namespace {

bool add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = ::X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = ::X509_add_ext(cert, ext, -1) == 1;
  ::X509_EXTENSION_free(ext);
  return ok;
}

std::string pem_of(X509* cert, EVP_PKEY* key) {
  BioPtr bio(::BIO_new(::BIO_s_mem()));
  if (!bio) return {};
  const int ok = cert != nullptr ? ::PEM_write_bio_X509(bio.get(), cert)
                                 : ::PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                                              nullptr, nullptr);
  if (ok != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool set_names_and_dates(X509* cert, const CertificateSpec& spec, X509* issuer) {
  std::array<unsigned char, 16> serial{};
  if (::RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) return false;
  serial[0] &= 0x7f;  // a positive serial number
  std::unique_ptr<BIGNUM, Deleter<&BN_free>> bn(
      ::BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  X509_NAME* name = ::X509_get_subject_name(cert);
  const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
  return bn && ::BN_to_ASN1_INTEGER(bn.get(), ::X509_get_serialNumber(cert)) != nullptr &&
         ::X509_set_version(cert, 2) == 1 &&
         ::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) == 1 &&
         ::X509_set_issuer_name(cert, ::X509_get_subject_name(issuer != nullptr ? issuer : cert)) ==
             1 &&
         ::X509_gmtime_adj(::X509_getm_notBefore(cert),
                           static_cast<long>(spec.not_before.count())) != nullptr &&
         ::X509_gmtime_adj(::X509_getm_notAfter(cert), static_cast<long>(spec.not_after.count())) !=
             nullptr;
}

bool add_extensions(X509* cert, const CertificateSpec& spec, X509* issuer) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  ::X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  std::string sans;
  for (const auto& dns : spec.dns_names)
    sans += (sans.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : spec.ip_addresses)
    sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  const bool base =
      add_extension(cert, &ctx, NID_basic_constraints,
                    spec.is_ca ? "critical,CA:TRUE" : "CA:FALSE") &&
      add_extension(cert, &ctx, NID_key_usage,
                    spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
      add_extension(cert, &ctx, NID_subject_key_identifier, "hash") &&
      add_extension(cert, &ctx, NID_authority_key_identifier, "keyid:always");
  if (!base) return false;
  if (!spec.is_ca && !add_extension(cert, &ctx, NID_ext_key_usage, "serverAuth,clientAuth")) {
    return false;
  }
  return sans.empty() || add_extension(cert, &ctx, NID_subject_alt_name, sans);
}

}  // namespace

Result<MadeCertificate> make_certificate(const CertificateSpec& spec) {
  PkeyPtr key(::EVP_EC_gen("P-256"));
  X509Ptr cert(::X509_new());
  if (!key || !cert) return fail(take_openssl_error(TlsErrc::internal));
  X509Ptr issuer_cert;
  PkeyPtr issuer_key;
  if (spec.issuer != nullptr) {
    BioPtr cert_bio(::BIO_new_mem_buf(spec.issuer->cert_pem.data(),
                                      static_cast<int>(spec.issuer->cert_pem.size())));
    BioPtr key_bio(::BIO_new_mem_buf(spec.issuer->key_pem.data(),
                                     static_cast<int>(spec.issuer->key_pem.size())));
    issuer_cert.reset(::PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    issuer_key.reset(::PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (!issuer_cert) return fail(take_openssl_error(TlsErrc::bad_certificate));
    if (!issuer_key) return fail(take_openssl_error(TlsErrc::bad_private_key));
  }
  if (!set_names_and_dates(cert.get(), spec, issuer_cert.get()) ||
      ::X509_set_pubkey(cert.get(), key.get()) != 1 ||
      !add_extensions(cert.get(), spec, issuer_cert.get()) ||
      ::X509_sign(cert.get(), issuer_key ? issuer_key.get() : key.get(), ::EVP_sha256()) <= 0) {
    return fail(take_openssl_error(TlsErrc::internal));
  }
  MadeCertificate made{pem_of(cert.get(), nullptr), pem_of(nullptr, key.get()),
                       format_sha256_fingerprint(fingerprint_of(cert.get()))};
  if (made.cert_pem.empty() || made.key_pem.empty())
    return fail(take_openssl_error(TlsErrc::internal));
  return made;
}

}  // namespace tls_detail
}  // namespace sockit
