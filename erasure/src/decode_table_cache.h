// decode_table_cache: a bounded LRU of ISA-L decode tables, keyed by erasure
// pattern (which shards a decode reads, which shards it rebuilds).
//
// Building decode tables costs a k x k GF(2^8) inversion plus ec_init_tables;
// degraded reads repeat the same few patterns, so codec keeps one cache each.
// Entries are shared_ptr<const ...>: a table handed out stays valid after it is
// evicted. All members are internally synchronized (one mutex); the tables are
// built by the caller outside the lock, so two threads missing on the same key
// at once both build it and the first insert wins.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace kvgate::erasure {

struct decode_pattern {
  std::uint64_t sources = 0;  // the k shards read, as a bit mask
  std::uint64_t wanted = 0;   // the shards rebuilt, as a bit mask
  friend bool operator==(const decode_pattern&, const decode_pattern&) = default;
};

// Expanded ec_init_tables output (32 bytes per coefficient) for one pattern.
using decode_tables = std::vector<std::uint8_t>;

class decode_table_cache {
 public:
  // Every pattern of up to 4 erasures among 16 shards is 2516 entries
  // (Ceph's ErasureCodeIsaTableCache uses the same bound); round up.
  static constexpr std::size_t kDefaultCapacity = 2600;

  explicit decode_table_cache(std::size_t capacity = kDefaultCapacity);

  decode_table_cache(const decode_table_cache&) = delete;
  decode_table_cache& operator=(const decode_table_cache&) = delete;

  // The cached tables for `pattern` (marked most recently used), or nullptr.
  std::shared_ptr<const decode_tables> find(const decode_pattern& pattern);

  // Inserts `tables` unless the pattern is already cached; returns the cached
  // entry either way. Evicts the least recently used entry when full.
  std::shared_ptr<const decode_tables> insert(const decode_pattern& pattern,
                                              std::shared_ptr<const decode_tables> tables);

  std::size_t size() const;
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  struct pattern_hash {
    std::size_t operator()(const decode_pattern& p) const noexcept;
  };
  struct entry {
    decode_pattern pattern;
    std::shared_ptr<const decode_tables> tables;
  };
  using lru_list = std::list<entry>;  // front = most recently used

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  lru_list lru_;
  std::unordered_map<decode_pattern, lru_list::iterator, pattern_hash> index_;
};

}  // namespace kvgate::erasure
