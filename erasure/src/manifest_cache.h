// A bounded LRU of decoded manifests (and, for small objects, their inline
// shards), keyed by (bucket, key, data id), so GET and HEAD of hot objects
// never touch the disks for metadata. Entries are immutable and shared.
// Thread-safe (one mutex; entries are reference counted).
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "manifest.h"

namespace kvgate::erasure {

struct cached_manifest {
  std::shared_ptr<const manifest> m;
  // Inline objects: shard bytes indexed by shard (empty string = unavailable).
  std::shared_ptr<const std::vector<std::string>> inline_shards;
  std::size_t bytes() const noexcept {
    std::size_t n = 512;
    if (m)
      for (const auto& p : m->parts) n += p.block_checksums.size() * 8;
    if (inline_shards)
      for (const auto& s : *inline_shards) n += s.size();
    return n;
  }
};

class manifest_cache {
 public:
  explicit manifest_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  std::shared_ptr<const cached_manifest> get(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = map_.find(id);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.position);
    return it->second.value;
  }

  void put(const std::string& id, std::shared_ptr<const cached_manifest> value) {
    const std::size_t size = value->bytes();
    if (size > max_bytes_ / 4) return;
    std::lock_guard lock(mu_);
    erase_locked(id);
    lru_.push_front(id);
    map_.emplace(id, entry{std::move(value), lru_.begin(), size});
    bytes_ += size;
    while (bytes_ > max_bytes_ && !lru_.empty()) erase_locked(lru_.back());
  }

  void erase(const std::string& id) {
    std::lock_guard lock(mu_);
    erase_locked(id);
  }

  static std::string id(std::string_view bucket, std::string_view key, std::string_view data_id) {
    std::string s;
    s.reserve(bucket.size() + key.size() + data_id.size() + 2);
    s.append(bucket).push_back('\0');
    s.append(key).push_back('\0');
    s.append(data_id);
    return s;
  }

 private:
  struct entry {
    std::shared_ptr<const cached_manifest> value;
    std::list<std::string>::iterator position;
    std::size_t bytes;
  };
  void erase_locked(const std::string& id) {
    auto it = map_.find(id);
    if (it == map_.end()) return;
    bytes_ -= it->second.bytes;
    lru_.erase(it->second.position);
    map_.erase(it);
  }

  std::mutex mu_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::list<std::string> lru_;
  std::unordered_map<std::string, entry> map_;
};

}  // namespace kvgate::erasure
