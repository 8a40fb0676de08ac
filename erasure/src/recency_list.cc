#include "recency_list.h"

#include <xxhash.h>

#include <algorithm>

namespace kvgate::erasure {

recency_list::shard& recency_list::shard_for(std::string_view key) noexcept {
  return shards_[XXH3_64bits(key.data(), key.size()) % kShards];
}

void recency_list::upsert(std::string_view key, std::string_view data_id, std::uint64_t size,
                          std::int64_t access_ns) {
  shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  if (auto it = s.by_key.find(key); it != s.by_key.end()) {
    entry& e = *it->second;
    e.data_id.assign(data_id);
    e.size = size;
    e.access_ns = access_ns;
    s.order.splice(s.order.begin(), s.order, it->second);
    return;
  }
  s.order.push_front(entry{std::string(key), std::string(data_id), size, access_ns});
  s.by_key.emplace(s.order.front().key, s.order.begin());
}

bool recency_list::touch(std::string_view key, std::int64_t now_ns) {
  shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.by_key.find(key);
  if (it == s.by_key.end()) return false;
  it->second->access_ns = now_ns;
  s.order.splice(s.order.begin(), s.order, it->second);
  return true;
}

bool recency_list::erase(std::string_view key) {
  shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.by_key.find(key);
  if (it == s.by_key.end()) return false;
  auto node = it->second;
  s.by_key.erase(it);  // before the node whose key the map's view points into
  s.order.erase(node);
  return true;
}

void recency_list::sort_by_access() {
  for (shard& s : shards_) {
    std::lock_guard lock(s.mu);
    // list::sort relinks nodes: the map's iterators and views stay valid.
    s.order.sort([](const entry& a, const entry& b) { return a.access_ns > b.access_ns; });
  }
}

std::vector<recency_list::entry> recency_list::oldest(std::size_t n) const {
  std::vector<entry> out;
  for (const shard& s : shards_) {
    std::lock_guard lock(s.mu);
    std::size_t taken = 0;
    for (auto it = s.order.rbegin(); it != s.order.rend() && taken < n; ++it, ++taken)
      out.push_back(*it);
  }
  const std::size_t keep = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                    [](const entry& a, const entry& b) { return a.access_ns < b.access_ns; });
  out.resize(keep);
  return out;
}

std::int64_t recency_list::oldest_access() const {
  std::int64_t oldest = 0;
  for (const shard& s : shards_) {
    std::lock_guard lock(s.mu);
    if (s.order.empty()) continue;
    const std::int64_t t = s.order.back().access_ns;
    if (oldest == 0 || t < oldest) oldest = t;
  }
  return oldest;
}

void recency_list::clear() {
  for (shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.by_key.clear();
    s.order.clear();
  }
}

}  // namespace kvgate::erasure
