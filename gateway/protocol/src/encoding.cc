// Base64 (OpenSSL EVP_EncodeBlock/EVP_DecodeBlock behind a strict validator) and hex.
#include "kvgate/protocol/encoding.h"

#include <openssl/evp.h>

namespace kvgate::protocol {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string base64_encode(byte_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  if (data.empty()) return out;
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

result<bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return protocol_errc::bad_base64;
  if (text.empty()) return bytes{};
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    if (!is_base64_char(text[i])) return protocol_errc::bad_base64;
  }
  // Canonical form: the bits the padding discards must be zero.
  const char last = text[text.size() - padding - 1];
  if (padding == 1 && (base64_value(last) & 0x3) != 0) return protocol_errc::bad_base64;
  if (padding == 2 && (base64_value(last) & 0xf) != 0) return protocol_errc::bad_base64;
  bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return protocol_errc::bad_base64;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string hex_encode(byte_view data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

result<bytes> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return protocol_errc::bad_hex;
  bytes out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return protocol_errc::bad_hex;
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace kvgate::protocol
