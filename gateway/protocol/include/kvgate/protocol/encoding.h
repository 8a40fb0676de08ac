// Byte-to-text encodings used on the S3 wire: base64 (checksum headers,
// Content-MD5, SigV2 signatures) and lower-case hex (SigV4, ETags).
//
// Pure functions, thread-safe. Decoders are strict: base64 must be canonical
// padded RFC 4648 (no whitespace, no line breaks, correct '=' padding); hex
// accepts both cases and an even number of digits only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/protocol/result.h"

namespace kvgate::protocol {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

inline byte_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string base64_encode(byte_view data);
[[nodiscard]] result<bytes> base64_decode(std::string_view text);

std::string hex_encode(byte_view data);  // lower case
[[nodiscard]] result<bytes> hex_decode(std::string_view text);

}  // namespace kvgate::protocol
