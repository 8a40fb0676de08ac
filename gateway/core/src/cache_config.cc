// Cache-tier configuration: units, bucket tables, validation (cache_config.h).
#include "kvgate/gateway/cache_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "cache_config_parse.h"

namespace kvgate::gateway {
namespace {

constexpr std::string_view kBucketFields[] = {"quota_bytes", "quota_objects", "no_evict",
                                              "default_ttl", "etag"};

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// Splits "1.5GiB" into 1.5 and "GiB". Only digits and one '.' in the number.
bool split_number(std::string_view text, double& number, std::string_view& unit, bool& integral) {
  text = trim_space(text);
  std::size_t i = 0;
  bool dot = false;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !dot))) {
    dot = dot || text[i] == '.';
    ++i;
  }
  if (i == 0 || text.substr(0, i) == ".") return false;
  const std::string digits(text.substr(0, i));
  number = std::strtod(digits.c_str(), nullptr);
  integral = !dot;
  unit = trim_space(text.substr(i));
  return true;
}

bool valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char ch : name) {
    if (!(std::islower(static_cast<unsigned char>(ch)) ||
          std::isdigit(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.'))
      return false;
  }
  return true;
}

config_error invalid_value(const config_value& v, std::string_view key, std::string_view why) {
  return {std::string(key), fmt::format("invalid value for {} ({}): {}", key, v.origin, why)};
}

config_result<std::string> single(const config_value& v, std::string_view key) {
  if (v.values.size() != 1) return invalid_value(v, key, "expected exactly one value");
  return v.values.front();
}

config_result<std::uint64_t> byte_size(const config_value& v, std::string_view key) {
  auto text = single(v, key);
  if (!text) return text.error();
  auto n = parse_byte_size(*text);
  if (!n) return invalid_value(v, key, fmt::format("\"{}\" is not a size (e.g. 500GiB)", *text));
  return *n;
}

config_result<std::uint64_t> count(const config_value& v, std::string_view key) {
  auto text = single(v, key);
  if (!text) return text.error();
  std::string_view t = trim_space(*text);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc{} || end != t.data() + t.size())
    return invalid_value(v, key, fmt::format("\"{}\" is not a non-negative integer", t));
  return n;
}

config_result<std::uint64_t> duration(const config_value& v, std::string_view key) {
  auto text = single(v, key);
  if (!text) return text.error();
  auto n = parse_duration_seconds(*text);
  if (!n) return invalid_value(v, key, fmt::format("\"{}\" is not a duration (e.g. 7d)", *text));
  return *n;
}

config_result<bool> boolean(const config_value& v, std::string_view key) {
  auto text = single(v, key);
  if (!text) return text.error();
  if (*text == "true") return true;
  if (*text == "false") return false;
  return invalid_value(v, key, fmt::format("\"{}\" is not true or false", *text));
}

}  // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  double number = 0;
  std::string_view unit;
  bool integral = true;
  if (!split_number(text, number, unit, integral)) return std::nullopt;
  struct scale {
    std::string_view name;
    double factor;
  };
  static constexpr scale kUnits[] = {
      {"", 1},
      {"B", 1},
      {"K", 1024.0},
      {"Ki", 1024.0},
      {"KiB", 1024.0},
      {"KB", 1e3},
      {"M", 1048576.0},
      {"Mi", 1048576.0},
      {"MiB", 1048576.0},
      {"MB", 1e6},
      {"G", 1073741824.0},
      {"Gi", 1073741824.0},
      {"GiB", 1073741824.0},
      {"GB", 1e9},
      {"T", 1099511627776.0},
      {"Ti", 1099511627776.0},
      {"TiB", 1099511627776.0},
      {"TB", 1e12},
      {"P", 1125899906842624.0},
      {"Pi", 1125899906842624.0},
      {"PiB", 1125899906842624.0},
      {"PB", 1e15},
  };
  for (const auto& u : kUnits) {
    if (!iequals(unit, u.name)) continue;
    if (u.factor == 1 && !integral) return std::nullopt;  // fractional bytes
    if (u.factor == 1) {
      std::uint64_t n = 0;
      std::string_view t = trim_space(text);
      t = t.substr(0, t.size() - unit.size());
      t = trim_space(t);
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
      return n;
    }
    const double bytes = std::round(number * u.factor);
    if (!(bytes < 18446744073709551615.0)) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_duration_seconds(std::string_view text) {
  double number = 0;
  std::string_view unit;
  bool integral = true;
  if (!split_number(text, number, unit, integral) || !integral) return std::nullopt;
  double factor = 0;
  if (unit.empty() || unit == "s") {
    factor = 1;
  } else if (unit == "m") {
    factor = 60;
  } else if (unit == "h") {
    factor = 3600;
  } else if (unit == "d") {
    factor = 86400;
  } else {
    return std::nullopt;
  }
  const double seconds = number * factor;
  if (!(seconds < 1e15)) return std::nullopt;
  return static_cast<std::uint64_t>(seconds);
}

std::optional<etag_style> parse_etag_style(std::string_view text) {
  if (text == "md5") return etag_style::md5;
  if (text == "xxh3") return etag_style::xxh3;
  return std::nullopt;
}

std::optional<double> parse_fraction(std::string_view text) {
  double number = 0;
  std::string_view unit;
  bool integral = true;
  if (!split_number(text, number, unit, integral)) return std::nullopt;
  if (unit == "%") {
    number /= 100;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  if (!(number > 0 && number <= 1)) return std::nullopt;
  return number;
}

config_result<void> add_bucket_tables(const toml::node& buckets, std::string_view origin,
                                      config_layer& layer) {
  const toml::table* table = buckets.as_table();
  if (table == nullptr) {
    return config_error{"buckets", fmt::format("invalid value for buckets ({}): expected tables "
                                               "[buckets.<name>]",
                                               origin)};
  }
  for (const auto& [name_key, node] : *table) {
    const std::string_view name = name_key.str();
    const std::string prefix = fmt::format("buckets.{}", name);
    if (!valid_bucket_name(name)) {
      return config_error{
          prefix, fmt::format("invalid bucket name \"{}\" in {}: [{}]", name, origin, prefix)};
    }
    const toml::table* fields = node.as_table();
    if (fields == nullptr) {
      return config_error{
          prefix, fmt::format("invalid value for {} ({}): expected a table", prefix, origin)};
    }
    for (const auto& [field_key, value] : *fields) {
      const std::string_view field = field_key.str();
      const std::string key = fmt::format("{}.{}", prefix, field);
      if (std::find(std::begin(kBucketFields), std::end(kBucketFields), field) ==
          std::end(kBucketFields)) {
        return config_error{key, fmt::format("unknown configuration key {} in {}", key, origin)};
      }
      config_value v{{}, fmt::format("{}: {}", origin, key)};
      if (auto s = value.value<std::string>(); s && value.is_string()) {
        v.values.push_back(*s);
      } else if (auto i = value.value<std::int64_t>(); i && value.is_integer()) {
        if (*i < 0) return invalid_value(v, key, "must not be negative");
        v.values.push_back(std::to_string(*i));
      } else if (auto b = value.value<bool>(); b && value.is_boolean()) {
        v.values.push_back(*b ? "true" : "false");
      } else {
        return invalid_value(v, key, "wrong type");
      }
      layer.insert_or_assign(key, std::move(v));
    }
  }
  return {};
}

config_result<void> resolve_cache_config(
    const std::function<const config_value*(std::string_view)>& get, const config_layer& file,
    cache_config& c) {
  if (const auto* v = get("cache_max_bytes")) {
    auto n = byte_size(*v, "cache_max_bytes");
    if (!n) return n.error();
    c.max_bytes = *n;
  }
  if (const auto* v = get("cache_max_objects")) {
    auto n = count(*v, "cache_max_objects");
    if (!n) return n.error();
    c.max_objects = *n;
  }
  for (auto [key, field] : {std::pair{"cache_high_watermark", &c.high_watermark},
                            std::pair{"cache_low_watermark", &c.low_watermark}}) {
    if (const auto* v = get(key)) {
      auto text = single(*v, key);
      if (!text) return text.error();
      auto f = parse_fraction(*text);
      if (!f)
        return invalid_value(*v, key, fmt::format("\"{}\" is not a fraction in (0, 1]", *text));
      *field = *f;
    }
  }
  if (c.high_watermark && c.low_watermark && *c.low_watermark > *c.high_watermark) {
    const auto* v = get("cache_low_watermark");
    return invalid_value(
        *v, "cache_low_watermark",
        fmt::format("{} is above cache_high_watermark {}", *c.low_watermark, *c.high_watermark));
  }
  if (const auto* v = get("lifecycle_interval_seconds")) {
    auto n = duration(*v, "lifecycle_interval_seconds");
    if (!n) return n.error();
    if (*n < 1 || *n > 86400)
      return invalid_value(*v, "lifecycle_interval_seconds", "must be between 1 s and 1 day");
    c.lifecycle_interval = std::chrono::seconds(*n);
  }
  if (const auto* v = get("lifecycle_batch")) {
    auto n = count(*v, "lifecycle_batch");
    if (!n) return n.error();
    if (*n < 1 || *n > 1000000)
      return invalid_value(*v, "lifecycle_batch", fmt::format("{} is outside [1, 1000000]", *n));
    c.lifecycle_batch = static_cast<std::uint32_t>(*n);
  }
  if (const auto* v = get("abandoned_upload_seconds")) {
    auto n = duration(*v, "abandoned_upload_seconds");
    if (!n) return n.error();
    if (*n != 0 && *n < 60)
      return invalid_value(*v, "abandoned_upload_seconds", "must be 0 (never) or at least 60 s");
    c.abandoned_upload_seconds = *n;
  }
  if (const auto* v = get("lifecycle_day_seconds")) {
    auto n = count(*v, "lifecycle_day_seconds");
    if (!n) return n.error();
    if (*n < 1 || *n > 86400)
      return invalid_value(*v, "lifecycle_day_seconds",
                           fmt::format("{} is outside [1, 86400]", *n));
    c.lifecycle_day_seconds = *n;
  }
  for (const auto& [key, v] : file) {
    if (!key.starts_with("buckets.")) continue;
    const std::string_view rest = std::string_view(key).substr(8);
    const auto dot = rest.rfind('.');
    const std::string name(rest.substr(0, dot));
    const std::string_view field = rest.substr(dot + 1);
    bucket_cache_config& b = c.buckets[name];
    if (field == "quota_bytes") {
      auto n = byte_size(v, key);
      if (!n) return n.error();
      b.quota_bytes = *n;
    } else if (field == "quota_objects") {
      auto n = count(v, key);
      if (!n) return n.error();
      b.quota_objects = *n;
    } else if (field == "no_evict") {
      auto f = boolean(v, key);
      if (!f) return f.error();
      b.no_evict = *f;
    } else if (field == "default_ttl") {
      auto n = duration(v, key);
      if (!n) return n.error();
      b.default_ttl_seconds = *n;
    } else if (field == "etag") {
      auto text = single(v, key);
      if (!text) return text.error();
      auto style = parse_etag_style(*text);
      if (!style) return invalid_value(v, key, fmt::format("\"{}\" is not md5 or xxh3", *text));
      b.etag = *style;
    }
  }
  return {};
}

}  // namespace kvgate::gateway
