// Usage, limits and recency of the cache tier, in memory (docs/cache.md).
//
// The ledger mirrors the index: the store calls record_put/record_remove
// exactly where it changes an index object record (under the key's lock), and
// rebuilds the ledger from the index at open and after a reindex. It answers
// admission questions (does a write of N bytes to bucket B fit, and what must
// be evicted first), holds reservations for admitted writes until they commit,
// says which scopes are over their high watermark, and names the least
// recently used candidates to evict. It never does I/O and never calls out.
//
// Thread safety: every member may be called concurrently. Internal locks are
// leaves (nothing else is locked while they are held): a shared mutex over the
// policy and the bucket table, one mutex per recency shard, and one mutex that
// makes assess-and-reserve atomic between writers.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "kvgate/erasure/capacity.h"
#include "kvgate/erasure/object.h"
#include "kvgate/erasure/result.h"
#include "recency_list.h"

namespace kvgate::erasure {

// What one object version costs.
struct object_footprint {
  std::uint64_t size = 0;    // logical bytes
  std::uint64_t stored = 0;  // shard file bytes on all disks
};

// Room a write (or a scope over its watermark) needs: evict from `bucket`
// (empty: node-wide, from every bucket that is not no-evict) until `bytes`
// and `objects` more are free.
struct eviction_need {
  eviction_reason reason = eviction_reason::node_bytes;
  std::string bucket;
  std::uint64_t bytes = 0;
  std::uint64_t objects = 0;
};

// The ledger's answer for a write: refused, fits now (no needs), or fits once
// the needs are evicted.
struct admission {
  std::error_code refusal;
  std::vector<eviction_need> needs;
  bool fits() const noexcept { return !refusal && needs.empty(); }
};

struct eviction_candidate {
  std::string bucket;
  std::string key;
  std::string data_id;
  std::uint64_t size = 0;
  std::int64_t access_ns = 0;
};

class cache_ledger {
  struct bucket_state;

 public:
  // Bytes and objects of an admitted write, counted against limits until it
  // commits (and is recorded) or is abandoned. Movable; releases on destruction.
  class reservation {
   public:
    reservation() = default;
    reservation(reservation&& o) noexcept;
    reservation& operator=(reservation&& o) noexcept;
    reservation(const reservation&) = delete;
    reservation& operator=(const reservation&) = delete;
    ~reservation() { release(); }
    void release() noexcept;
    std::uint64_t bytes() const noexcept { return bytes_; }

   private:
    friend class cache_ledger;
    reservation(cache_ledger* ledger, std::shared_ptr<bucket_state> bucket, std::uint64_t bytes,
                std::uint64_t objects) noexcept
        : ledger_(ledger), bucket_(std::move(bucket)), bytes_(bytes), objects_(objects) {}
    cache_ledger* ledger_ = nullptr;
    std::shared_ptr<bucket_state> bucket_;
    std::uint64_t bytes_ = 0;
    std::uint64_t objects_ = 0;
  };

  explicit cache_ledger(capacity_config config);
  cache_ledger(const cache_ledger&) = delete;
  cache_ledger& operator=(const cache_ledger&) = delete;

  // errc::invalid_argument unless 0 < low <= high <= 1.
  [[nodiscard]] static result<void> validate(const capacity_config& config);
  // Precondition: validate(config) succeeded.
  void set_config(capacity_config config);
  [[nodiscard]] capacity_config config() const;
  // Sets (or, with nullopt, removes) one bucket's policy.
  void set_bucket_policy(std::string_view bucket, std::optional<bucket_policy> policy);
  // True when any limit is set (otherwise admission is always ok).
  [[nodiscard]] bool limited() const noexcept { return limited_.load(std::memory_order_relaxed); }

  // Index mirror. Caller holds the key's lock. record_put returns true when
  // the put left a scope over its high watermark (wake the evictor). `room`,
  // the write's reservation (may be null or empty), is released in the same
  // step as the usage is added, so admission never counts the object twice.
  bool record_put(std::string_view bucket, std::string_view key, std::string_view data_id,
                  object_footprint now, std::optional<object_footprint> previous,
                  std::int64_t access_ns, reservation* room = nullptr);
  void record_remove(std::string_view bucket, std::string_view key, object_footprint previous);
  // A GET/HEAD of a present object. Memory only.
  void touch(std::string_view bucket, std::string_view key, std::int64_t now_ns);
  // Forgets every object (before a rebuild from the index); keeps policies,
  // reservations and counters.
  void clear_objects();
  // After a bulk rebuild: orders recency by the loaded access times.
  void finish_load();

  // Would a write of `bytes` (a new key when `adds_object`) to `bucket` fit?
  [[nodiscard]] admission assess(std::string_view bucket, std::uint64_t bytes,
                                 bool adds_object) const;
  // assess() and, when it fits, reserve — atomically between writers.
  [[nodiscard]] std::optional<reservation> try_reserve(std::string_view bucket, std::uint64_t bytes,
                                                       bool adds_object, admission& verdict);
  // Scopes over their high watermark, each with what brings it to its low one.
  [[nodiscard]] std::vector<eviction_need> pressure() const;
  // Up to n least recently used objects the need may evict, oldest first.
  [[nodiscard]] std::vector<eviction_candidate> candidates(const eviction_need& need,
                                                           std::size_t n) const;

  // Counters for metrics.
  void note_evicted(eviction_reason reason, std::uint64_t bytes, bool inline_eviction) noexcept;
  void note_skipped_pinned() noexcept { skipped_pinned_.fetch_add(1, std::memory_order_relaxed); }
  void note_refused(const std::error_code& refusal) noexcept;

  [[nodiscard]] capacity_report report() const;
  [[nodiscard]] usage_totals node_usage() const;

 private:
  struct bucket_state {
    explicit bucket_state(std::string n) : name(std::move(n)) {}
    std::string name;
    std::atomic<std::int64_t> objects{0};
    std::atomic<std::int64_t> bytes{0};
    std::atomic<std::int64_t> stored{0};
    std::atomic<std::int64_t> reserved_bytes{0};
    std::atomic<std::int64_t> reserved_objects{0};
    recency_list recency;
  };
  struct scope_usage {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
  };

  std::shared_ptr<bucket_state> find(std::string_view bucket) const;
  std::shared_ptr<bucket_state> find_or_create(std::string_view bucket);
  const bucket_policy* policy_locked(std::string_view bucket) const;
  // Usage including reservations.
  static scope_usage committed_and_reserved(const bucket_state& b) noexcept;
  scope_usage node_committed_and_reserved() const noexcept;
  // Bytes and objects in buckets that may be evicted (caller holds mu_ shared).
  scope_usage evictable_locked(std::string_view only_bucket) const;
  admission assess_locked(std::string_view bucket, std::uint64_t bytes, bool adds_object) const;
  bool over_high_locked(const bucket_state& b) const;
  void release(bucket_state& b, std::uint64_t bytes, std::uint64_t objects) noexcept;

  mutable std::shared_mutex mu_;  // config_ and buckets_
  capacity_config config_;
  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // Heterogeneous lookup: a HEAD's touch finds its bucket without allocating.
  std::unordered_map<std::string, std::shared_ptr<bucket_state>, name_hash, std::equal_to<>>
      buckets_;
  std::atomic<bool> limited_{false};

  std::atomic<std::int64_t> objects_{0};
  std::atomic<std::int64_t> bytes_{0};
  std::atomic<std::int64_t> stored_{0};
  std::atomic<std::int64_t> reserved_bytes_{0};
  std::atomic<std::int64_t> reserved_objects_{0};

  std::mutex admit_mu_;  // assess + reserve as one step

  std::array<std::atomic<std::uint64_t>, kEvictionReasons> evicted_objects_{};
  std::array<std::atomic<std::uint64_t>, kEvictionReasons> evicted_bytes_{};
  std::atomic<std::uint64_t> inline_evictions_{0};
  std::atomic<std::uint64_t> skipped_pinned_{0};
  std::atomic<std::uint64_t> refused_quota_{0};
  std::atomic<std::uint64_t> refused_capacity_{0};
};

// Shard file bytes of a version on all k + m disks (data, parity, padding).
[[nodiscard]] std::uint64_t stored_bytes(const object_info& o, std::uint32_t k, std::uint32_t m,
                                         std::uint32_t block_size) noexcept;

}  // namespace kvgate::erasure
