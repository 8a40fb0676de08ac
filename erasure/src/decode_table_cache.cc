// See decode_table_cache.h.
#include "decode_table_cache.h"

#include <utility>

namespace kvgate::erasure {

decode_table_cache::decode_table_cache(std::size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity) {}

std::size_t decode_table_cache::pattern_hash::operator()(const decode_pattern& p) const noexcept {
  // splitmix64 finalizer over both masks: cheap and spreads nearby bit masks.
  std::uint64_t x = p.sources ^ (p.wanted * 0x9e3779b97f4a7c15ULL);
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<std::size_t>(x);
}

std::shared_ptr<const decode_tables> decode_table_cache::find(const decode_pattern& pattern) {
  const std::lock_guard lock(mutex_);
  const auto it = index_.find(pattern);
  if (it == index_.end()) {
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->tables;
}

std::shared_ptr<const decode_tables> decode_table_cache::insert(
    const decode_pattern& pattern, std::shared_ptr<const decode_tables> tables) {
  const std::lock_guard lock(mutex_);
  if (const auto it = index_.find(pattern); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->tables;
  }
  if (lru_.size() >= capacity_) {
    index_.erase(lru_.back().pattern);
    lru_.pop_back();
  }
  lru_.push_front(entry{pattern, std::move(tables)});
  index_.emplace(pattern, lru_.begin());
  return lru_.front().tables;
}

std::size_t decode_table_cache::size() const {
  const std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace kvgate::erasure
