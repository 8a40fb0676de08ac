// The objects of one bucket in least-recently-used order, for eviction.
//
// Sharded by key hash: each shard is a list ordered by last access (front =
// most recent) and a hash map from key to list node, under the shard's own
// mutex, so a GET/HEAD (touch) costs one short critical section and no disk
// write. Eviction asks for the oldest entries across all shards (merged by
// access time). Seeded from the index's mtimes at open (load, then
// sort_by_access), so recency survives a restart approximately (an object last
// read after its last write counts from its write).
//
// Thread safety: every member may be called concurrently. Entries hold the
// current version's data id so an eviction decided on a stale snapshot can
// tell the key was overwritten since.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kvgate::erasure {

class recency_list {
 public:
  struct entry {
    std::string key;
    std::string data_id;
    std::uint64_t size = 0;
    std::int64_t access_ns = 0;
  };

  // Inserts or replaces the entry of `key` as the most recent of its shard.
  void upsert(std::string_view key, std::string_view data_id, std::uint64_t size,
              std::int64_t access_ns);
  // Marks `key` accessed now. False when the key is not present.
  bool touch(std::string_view key, std::int64_t now_ns);
  // Removes the entry of `key`; false when absent.
  bool erase(std::string_view key);
  // Orders every shard by access time (after a bulk load in key order).
  void sort_by_access();
  // Up to n least recently used entries, oldest first (copies).
  [[nodiscard]] std::vector<entry> oldest(std::size_t n) const;
  // Access time of the least recently used entry; 0 when empty.
  [[nodiscard]] std::int64_t oldest_access() const;
  void clear();

 private:
  static constexpr std::size_t kShards = 16;
  struct shard {
    mutable std::mutex mu;
    std::list<entry> order;  // front = most recent
    // Views point into the list nodes' keys (list nodes never move).
    std::unordered_map<std::string_view, std::list<entry>::iterator> by_key;
  };
  shard& shard_for(std::string_view key) noexcept;

  std::array<shard, kShards> shards_;
};

}  // namespace kvgate::erasure
