// One-shot cryptographic digests and HMACs (OpenSSL EVP underneath).
//
// Used by SigV4/SigV2 and by callers that need a SHA-256 of a small buffer
// (for instance the SDK hashing a payload it already holds). Streaming digests
// go through `hasher` (checksum.h). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "kvgate/protocol/encoding.h"

namespace kvgate::protocol {

using sha256_digest = std::array<std::uint8_t, 32>;
using sha1_digest = std::array<std::uint8_t, 20>;

sha256_digest sha256(byte_view data);
inline sha256_digest sha256(std::string_view s) {
  return sha256(as_bytes(s));
}
std::string sha256_hex(std::string_view s);

sha256_digest hmac_sha256(byte_view key, byte_view data);
sha1_digest hmac_sha1(byte_view key, byte_view data);

// Constant-time comparison (CRYPTO_memcmp); false when sizes differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace kvgate::protocol
