// Identifiers of the rc1 session protocol (docs/rdma-protocol.md, "Sessions").
//
// session_id: 128 random bits, written as 32 lowercase hex digits in tokens,
// JSON and logs. connect_secret: 128 random bits handed out once by
// POST /.rdma/v1/sessions and presented once in the CM private data.
// Both are plain values; comparison of secrets must go through
// secrets_equal() (constant time), never operator==.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kvgate::rdma {

inline constexpr std::size_t kSessionIdBytes = 16;
inline constexpr std::size_t kConnectSecretBytes = 16;

struct session_id {
  std::array<std::byte, kSessionIdBytes> bytes{};

  friend bool operator==(const session_id&, const session_id&) = default;
  friend bool operator<(const session_id& a, const session_id& b) noexcept {
    return std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) < 0;
  }
};

struct connect_secret {
  std::array<std::byte, kConnectSecretBytes> bytes{};
};

// 32 lowercase hex digits.
std::string to_string(const session_id& id);
// Exactly 2 * kSessionIdBytes lowercase hex digits; anything else is nullopt.
std::optional<session_id> parse_session_id(std::string_view hex);

std::string to_string(const connect_secret& secret);
std::optional<connect_secret> parse_connect_secret(std::string_view hex);

// Constant-time comparison (CRYPTO_memcmp).
bool secrets_equal(const connect_secret& a, const connect_secret& b) noexcept;

// Lowercase hex of arbitrary bytes, and its strict inverse (lowercase only,
// even length, exactly out.size() bytes). Used by the token and JSON codecs.
std::string lower_hex(std::span<const std::byte> bytes);
bool parse_lower_hex(std::string_view hex, std::span<std::byte> out) noexcept;

struct session_id_hash {
  std::size_t operator()(const session_id& id) const noexcept;
};

}  // namespace kvgate::rdma
