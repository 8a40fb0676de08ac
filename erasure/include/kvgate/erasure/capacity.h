// The cache tier's vocabulary: capacity limits, usage, eviction counters and the
// refusal a write gets when no room can be made (docs/cache.md).
//
// The store keeps usage exactly in step with its index (puts, overwrites,
// deletes, multipart completes, heal, reindex) and rebuilds it from the index at
// open. Limits are logical object bytes (what clients stored) and object counts;
// stored bytes (shard files including parity) are reported alongside.
// Plain data; the behaviour lives in store (store.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kvgate::erasure {

// Limits and policy of one bucket. 0 = unlimited.
struct bucket_policy {
  std::uint64_t max_bytes = 0;    // logical bytes of the bucket's objects
  std::uint64_t max_objects = 0;  // objects in the bucket
  // Never evict this bucket's objects: a write that would exceed the bucket's
  // quota is refused (errc::quota_exceeded), and node-wide pressure evicts only
  // from other buckets.
  bool no_evict = false;

  friend bool operator==(const bucket_policy&, const bucket_policy&) = default;
};

// Node-wide limits, watermarks and per-bucket policies. Set in store_options
// at open and replaced at run time with store::set_capacity().
struct capacity_config {
  std::uint64_t max_bytes = 0;    // node-wide logical bytes; 0 = unlimited
  std::uint64_t max_objects = 0;  // node-wide objects; 0 = unlimited
  // The background evictor starts when usage (plus writes admitted and not yet
  // committed) passes high_watermark * limit and stops at low_watermark *
  // limit, for the node and for every bucket with a quota.
  // 0 < low_watermark <= high_watermark <= 1.
  double high_watermark = 0.90;
  double low_watermark = 0.80;
  // Buckets not named here have no quota and may be evicted.
  std::map<std::string, bucket_policy, std::less<>> buckets;
  // False: no background thread; room is made only when a write needs it
  // (tests that want deterministic eviction points).
  bool background_eviction = true;
};

// Usage of one scope (the node or one bucket).
struct usage_totals {
  std::uint64_t objects = 0;
  std::uint64_t logical_bytes = 0;  // sum of object sizes
  std::uint64_t stored_bytes = 0;   // shard files (data + parity + padding), manifests excluded
  // Admitted writes of declared size that have not committed yet (they count
  // against limits until they commit or are abandoned).
  std::uint64_t reserved_bytes = 0;
  std::uint64_t reserved_objects = 0;
};

// Why an object was evicted: the limit that was over its watermark (or that a
// write needed room under).
enum class eviction_reason : std::uint8_t {
  node_bytes,
  node_objects,
  bucket_bytes,
  bucket_objects,
};
inline constexpr std::size_t kEvictionReasons = 4;
std::string_view to_string(eviction_reason r) noexcept;

struct eviction_counter {
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
};

struct bucket_capacity {
  std::string bucket;
  usage_totals usage;
  bucket_policy policy;
  std::int64_t oldest_access_ns = 0;  // least recent GET/HEAD/PUT; 0 = empty
};

// A snapshot for metrics, `kvgate info` and the admin API.
struct capacity_report {
  usage_totals node;
  std::uint64_t max_bytes = 0;
  std::uint64_t max_objects = 0;
  double high_watermark = 0;
  double low_watermark = 0;
  std::int64_t oldest_access_ns = 0;  // node-wide; 0 = empty
  // Every bucket that holds objects or has a policy, by name.
  std::vector<bucket_capacity> buckets;
  // Objects and bytes evicted, indexed by eviction_reason.
  std::array<eviction_counter, kEvictionReasons> evicted{};
  // Evictions a write had to wait for (the background evictor fell behind).
  std::uint64_t inline_evictions = 0;
  // Candidates passed over because a reader held them.
  std::uint64_t skipped_pinned = 0;
  // Writes refused: bucket quota (no-evict or larger than the quota) / node capacity.
  std::uint64_t refused_quota = 0;
  std::uint64_t refused_capacity = 0;
};

// The refusal for node-wide capacity: nothing evictable is left (every other
// byte is in no-evict buckets, pinned by readers, or the object alone is larger
// than the limit). Bucket quotas refuse with errc::quota_exceeded (result.h).
// The gateway maps insufficient_capacity to 507 InsufficientStorage.
enum class capacity_errc {
  insufficient_capacity = 1,
};

const std::error_category& capacity_category() noexcept;

inline std::error_code make_error_code(capacity_errc e) noexcept {
  return {static_cast<int>(e), capacity_category()};
}

}  // namespace kvgate::erasure

template <>
struct std::is_error_code_enum<kvgate::erasure::capacity_errc> : std::true_type {};
