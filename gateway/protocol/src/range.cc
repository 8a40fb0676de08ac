// Range header parsing and resolution (S3 semantics, see range.h).
#include "kvgate/protocol/range.h"

#include <charconv>
#include <optional>

namespace kvgate::protocol {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decimal digits only (no sign, no spaces), no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

range_spec parse_range(std::string_view header) noexcept {
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) return no_range{};
  const std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return no_range{};  // multi-range: ignored
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return no_range{};
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  if (first_text.empty()) {
    const auto length = parse_decimal(last_text);
    if (!length) return no_range{};
    return suffix_range{*length};
  }
  const auto first = parse_decimal(first_text);
  if (!first) return no_range{};
  if (last_text.empty()) return open_range{*first};
  const auto last = parse_decimal(last_text);
  if (!last || *last < *first) return no_range{};
  return closed_range{*first, *last};
}

result<resolved_range> resolve(const range_spec& spec, std::uint64_t object_size) noexcept {
  struct visitor {
    std::uint64_t size;
    result<resolved_range> operator()(const no_range&) const {
      return resolved_range{0, size, false};
    }
    result<resolved_range> operator()(const closed_range& r) const {
      if (r.first >= size) return protocol_errc::invalid_range;
      const std::uint64_t last = r.last < size ? r.last : size - 1;
      return resolved_range{r.first, last - r.first + 1, true};
    }
    result<resolved_range> operator()(const open_range& r) const {
      if (r.first >= size) return protocol_errc::invalid_range;
      return resolved_range{r.first, size - r.first, true};
    }
    result<resolved_range> operator()(const suffix_range& r) const {
      if (r.length == 0 || size == 0) return protocol_errc::invalid_range;
      const std::uint64_t length = r.length < size ? r.length : size;
      return resolved_range{size - length, length, true};
    }
  };
  return std::visit(visitor{object_size}, spec);
}

std::string content_range(const resolved_range& r, std::uint64_t object_size) {
  return "bytes " + std::to_string(r.offset) + "-" + std::to_string(r.offset + r.length - 1) + "/" +
         std::to_string(object_size);
}

std::string unsatisfied_content_range(std::uint64_t object_size) {
  return "bytes */" + std::to_string(object_size);
}

}  // namespace kvgate::protocol
