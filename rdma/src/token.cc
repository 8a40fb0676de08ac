#include "kvgate/rdma/token.h"

#include <array>
#include <cstdio>
#include <optional>

namespace kvgate::rdma {
namespace {

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_any_hex(char c) {
  return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

// Fixed-width lowercase hex field -> integer (width <= 16).
std::optional<std::uint64_t> hex_field(std::string_view s, std::size_t width) {
  if (s.size() != width || !all_of(s, is_lower_hex)) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = v << 4 | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return v;
}

// Splits on ':' into at most N fields; returns the count, or N + 1 if more.
template <std::size_t N>
std::size_t split_fields(std::string_view s, std::array<std::string_view, N>& out) {
  std::size_t n = 0;
  while (true) {
    const auto colon = s.find(':');
    if (n == N) return N + 1;
    out[n++] = s.substr(0, colon);
    if (colon == std::string_view::npos) return n;
    s.remove_prefix(colon + 1);
  }
}

// The cuObject DC descriptor: 16/8/8/4/6/1/32 hex, optionally followed by
// ":<16hex>:<16hex>" (the dropped addr:size suffix) and a trailing ';'.
bool is_cuobject_descriptor(std::string_view s) {
  if (!s.empty() && s.back() == ';') s.remove_suffix(1);
  std::array<std::string_view, 9> f;
  const std::size_t n = split_fields(s, f);
  if (n != 7 && n != 9) return false;
  constexpr std::array<std::size_t, 9> widths{16, 8, 8, 4, 6, 1, 32, 16, 16};
  for (std::size_t i = 0; i < n; ++i)
    if (f[i].size() != widths[i] || !all_of(f[i], is_any_hex)) return false;
  return true;
}

// hipObject: one run of 88 hex digits.
bool is_hipobject_descriptor(std::string_view s) {
  return s.size() == 88 && all_of(s, is_any_hex);
}

bool is_transport_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 16 || tag[0] < 'a' || tag[0] > 'z') return false;
  for (char c : tag)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

}  // namespace

result<rc1_token> parse_token(std::string_view value) {
  if (value.empty() || value.size() > kMaxTokenChars) return rdma_errc::malformed_token;
  if (is_cuobject_descriptor(value) || is_hipobject_descriptor(value))
    return rdma_errc::unsupported_transport;

  std::array<std::string_view, 5> f;
  const std::size_t n = split_fields(value, f);
  if (n < 3) return rdma_errc::malformed_token;
  const auto addr = hex_field(f[0], 16);
  const auto length = hex_field(f[1], 16);
  if (!addr || !length) return rdma_errc::malformed_token;
  if (f[2] != "rc1")
    return is_transport_tag(f[2]) ? rdma_errc::unsupported_transport : rdma_errc::malformed_token;
  if (n != 5) return rdma_errc::malformed_token;
  const auto session = parse_session_id(f[3]);
  const auto rkey = hex_field(f[4], 8);
  if (!session || !rkey) return rdma_errc::malformed_token;
  if (*length > UINT64_MAX - *addr) return rdma_errc::malformed_token;
  return rc1_token{*addr, *length, *session, static_cast<std::uint32_t>(*rkey)};
}

std::string format_token(const rc1_token& t) {
  char head[40];
  (void)std::snprintf(head, sizeof head,
                      "%016llx:%016llx:rc1:", static_cast<unsigned long long>(t.addr),
                      static_cast<unsigned long long>(t.length));
  char rkey[16];
  (void)std::snprintf(rkey, sizeof rkey, ":%08x", static_cast<unsigned>(t.rkey));
  return std::string(head) + to_string(t.session) + rkey;
}

}  // namespace kvgate::rdma
