#include "capacity_report_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

namespace kvgate::cli {
namespace {

using json = nlohmann::json;

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.3f} GiB", static_cast<double>(bytes) / 1073741824.0);
}

std::string limit_text(std::uint64_t n, bool bytes) {
  if (n == 0) return "unlimited";
  return bytes ? fmt::format("{} ({})", n, gib(n)) : std::to_string(n);
}

}  // namespace

void print_capacity_report(const json& r, bool as_json) {
  if (as_json) {
    std::cout << r.dump(2) << std::endl;
    return;
  }
  const json& u = r["usage"];
  std::cout << fmt::format(
      "node: {} objects, {} logical bytes ({}), {} stored bytes\n",
      u["objects"].get<std::uint64_t>(), u["logical_bytes"].get<std::uint64_t>(),
      gib(u["logical_bytes"].get<std::uint64_t>()), u["stored_bytes"].get<std::uint64_t>());
  std::cout << fmt::format("limits: {} bytes, {} objects; watermarks high {} low {}\n",
                           limit_text(r["max_bytes"].get<std::uint64_t>(), true),
                           limit_text(r["max_objects"].get<std::uint64_t>(), false),
                           r["high_watermark"].get<double>(), r["low_watermark"].get<double>());
  std::uint64_t evicted_objects = 0, evicted_bytes = 0;
  for (const auto& [reason, c] : r["evicted"].items()) {
    evicted_objects += c["objects"].get<std::uint64_t>();
    evicted_bytes += c["bytes"].get<std::uint64_t>();
  }
  std::cout << fmt::format(
      "evicted: {} objects, {} bytes; inline evictions {}; refused: {} quota, {} capacity\n",
      evicted_objects, evicted_bytes, r["inline_evictions"].get<std::uint64_t>(),
      r["refused_quota"].get<std::uint64_t>(), r["refused_capacity"].get<std::uint64_t>());
  const auto oldest_ns = r.value("oldest_access_ns", std::int64_t{0});
  if (oldest_ns > 0) {
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::cout << fmt::format("least recently used object: last read or written {} s ago\n",
                             std::max<std::int64_t>(0, (now_ns - oldest_ns) / 1'000'000'000));
  }
  if (r.contains("evicted_now"))
    std::cout << fmt::format("this run evicted {} objects\n",
                             r["evicted_now"].get<std::uint64_t>());
  for (const auto& [name, b] : r["buckets"].items()) {
    std::cout << fmt::format(
        "  bucket {}: {} objects, {} bytes; quota {} bytes, {} objects{}{}\n", name,
        b["usage"]["objects"].get<std::uint64_t>(),
        b["usage"]["logical_bytes"].get<std::uint64_t>(),
        limit_text(b["quota_bytes"].get<std::uint64_t>(), true),
        limit_text(b["quota_objects"].get<std::uint64_t>(), false),
        b["no_evict"].get<bool>() ? ", no-evict" : "",
        b["default_ttl"].get<std::uint64_t>() != 0
            ? fmt::format(", default TTL {} s", b["default_ttl"].get<std::uint64_t>())
            : std::string());
  }
}

}  // namespace kvgate::cli
