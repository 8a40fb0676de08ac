#include "kvgate/rdma/session_id.h"

#include <openssl/crypto.h>

#include <cstring>

namespace kvgate::rdma {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int lower_hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string lower_hex(std::span<const std::byte> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    const auto v = std::to_integer<unsigned>(b);
    out.push_back(kHexDigits[v >> 4]);
    out.push_back(kHexDigits[v & 0xf]);
  }
  return out;
}

bool parse_lower_hex(std::string_view hex, std::span<std::byte> out) noexcept {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = lower_hex_value(hex[2 * i]);
    const int lo = lower_hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::byte>(hi << 4 | lo);
  }
  return true;
}

std::string to_string(const session_id& id) {
  return lower_hex(id.bytes);
}

std::optional<session_id> parse_session_id(std::string_view hex) {
  session_id id;
  if (!parse_lower_hex(hex, id.bytes)) return std::nullopt;
  return id;
}

std::string to_string(const connect_secret& secret) {
  return lower_hex(secret.bytes);
}

std::optional<connect_secret> parse_connect_secret(std::string_view hex) {
  connect_secret s;
  if (!parse_lower_hex(hex, s.bytes)) return std::nullopt;
  return s;
}

bool secrets_equal(const connect_secret& a, const connect_secret& b) noexcept {
  return CRYPTO_memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) == 0;
}

std::size_t session_id_hash::operator()(const session_id& id) const noexcept {
  // The id is uniformly random: its first bytes are already a good hash.
  std::size_t h = 0;
  std::memcpy(&h, id.bytes.data(), sizeof h);
  return h;
}

}  // namespace kvgate::rdma
