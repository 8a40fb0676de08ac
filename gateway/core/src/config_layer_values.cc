// config_layer_values.h.
#include "config_layer_values.h"

#include <fmt/format.h>

#include <charconv>
#include <string>

namespace kvgate::gateway::layer_values {

config_error invalid_value(const config_value& v, std::string_view key, std::string_view why) {
  return config_error{std::string(key),
                      fmt::format("invalid value for {} ({}): {}", key, v.origin, why)};
}

const config_value* find(const config_layer& file, std::string_view key) {
  auto it = file.find(key);
  return it == file.end() ? nullptr : &it->second;
}

config_result<std::uint64_t> bounded_integer(const config_layer& file, std::string_view key,
                                             std::uint64_t fallback, std::uint64_t low,
                                             std::uint64_t high) {
  const config_value* v = find(file, key);
  if (v == nullptr) return fallback;
  const std::string& s = v->values.front();
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < low || n > high)
    return invalid_value(*v, key, fmt::format("expected an integer from {} to {}", low, high));
  return n;
}

}  // namespace kvgate::gateway::layer_values
