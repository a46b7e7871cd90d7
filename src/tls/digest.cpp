#include "sockit/tls/digest.hpp"

#include <openssl/hmac.h>

#include <array>

#include "sockit/tls/error.hpp"
#include "tls/openssl.hpp"

namespace sockit {

Result<std::string> hmac_md5_hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  // OpenSSL takes the key length as an int: longer keys are refused rather than cut.
  if (key.size() > 0x7fffffff) return fail(std::make_error_code(std::errc::value_too_large));
  const unsigned char* out =
      ::HMAC(::EVP_md5(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  if (out == nullptr || length != 16)
    return fail(tls_detail::take_openssl_error(TlsErrc::internal));
  constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 0xf];
  }
  return hex;
}

}  // namespace sockit
