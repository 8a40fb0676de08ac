// SHA-256 / HMAC one-shots through OpenSSL EVP.
#include "kvgate/protocol/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <new>

namespace kvgate::protocol {

sha256_digest sha256(byte_view data) {
  sha256_digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::bad_alloc();  // EVP_Digest only fails on allocation failure
  }
  return out;
}

std::string sha256_hex(std::string_view s) {
  return hex_encode(sha256(s));
}

sha256_digest hmac_sha256(byte_view key, byte_view data) {
  sha256_digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
           out.data(), &len) == nullptr) {
    throw std::bad_alloc();
  }
  return out;
}

sha1_digest hmac_sha1(byte_view key, byte_view data) {
  sha1_digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
           out.data(), &len) == nullptr) {
    throw std::bad_alloc();
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kvgate::protocol
