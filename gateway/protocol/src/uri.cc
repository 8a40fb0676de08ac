// Percent-encoding, query-string parsing and request-target splitting.
#include "kvgate/protocol/uri.h"

namespace kvgate::protocol {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return protocol_errc::bad_percent_encoding;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return protocol_errc::bad_percent_encoding;
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

std::string uri_encode(std::string_view text, slash_encoding slash) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (char c : text) {
    if (is_unreserved(c) || (c == '/' && slash == slash_encoding::keep)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

result<query_params> parse_query(std::string_view raw_query) {
  query_params params;
  while (!raw_query.empty()) {
    const auto amp = raw_query.find('&');
    const std::string_view piece = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    if (piece.empty()) continue;
    const auto eq = piece.find('=');
    auto name = percent_decode(piece.substr(0, eq));
    if (!name) return name.error();
    query_param p{std::move(*name), {}, eq != std::string_view::npos};
    if (p.has_value) {
      auto value = percent_decode(piece.substr(eq + 1));
      if (!value) return value.error();
      p.value = std::move(*value);
    }
    params.push_back(std::move(p));
  }
  return params;
}

const query_param* find_param(const query_params& params, std::string_view name) noexcept {
  for (const auto& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

request_target split_target(std::string_view target) noexcept {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}, false};
  return {target.substr(0, q), target.substr(q + 1), true};
}

}  // namespace kvgate::protocol
