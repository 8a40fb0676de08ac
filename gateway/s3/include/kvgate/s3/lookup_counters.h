// The cache's hit and miss count of HeadObject and GetObject, for /metrics
// (kvgate_cache_lookups_total) and the admin info report: an answer for an
// existing object (2xx, 304) is a hit, 404 (no such key or bucket) a miss,
// anything else (403, 412, 5xx, ...) neither. Relaxed atomics; thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "kvgate/s3/operation.h"

namespace kvgate::s3 {

struct lookup_counters {
  // [0] HeadObject, [1] GetObject; each {hits, misses}.
  std::array<std::array<std::atomic<std::uint64_t>, 2>, 2> counts{};

  void record(operation op, unsigned status) noexcept {
    const int which = op == operation::head_object ? 0 : op == operation::get_object ? 1 : -1;
    if (which < 0) return;
    const bool hit = (status >= 200 && status < 300) || status == 304;
    if (!hit && status != 404) return;
    counts[static_cast<std::size_t>(which)][hit ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t get(int which, bool hit) const noexcept {
    return counts[static_cast<std::size_t>(which)][hit ? 0 : 1].load(std::memory_order_relaxed);
  }
};

}  // namespace kvgate::s3
