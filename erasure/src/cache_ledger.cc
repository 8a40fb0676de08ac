#include "cache_ledger.h"

#include <algorithm>
#include <cmath>

#include "geometry.h"

namespace kvgate::erasure {

namespace {

std::uint64_t non_negative(std::int64_t v) noexcept {
  return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}

// limit * fraction, rounded down.
std::uint64_t mark(std::uint64_t limit, double fraction) noexcept {
  return static_cast<std::uint64_t>(std::floor(static_cast<double>(limit) * fraction));
}

bool any_limit(const capacity_config& c) noexcept {
  if (c.max_bytes != 0 || c.max_objects != 0) return true;
  for (const auto& [name, p] : c.buckets)
    if (p.max_bytes != 0 || p.max_objects != 0) return true;
  return false;
}

}  // namespace

// ---- reservation ----------------------------------------------------------

cache_ledger::reservation::reservation(reservation&& o) noexcept
    : ledger_(std::exchange(o.ledger_, nullptr)),
      bucket_(std::move(o.bucket_)),
      bytes_(std::exchange(o.bytes_, 0)),
      objects_(std::exchange(o.objects_, 0)) {}

cache_ledger::reservation& cache_ledger::reservation::operator=(reservation&& o) noexcept {
  if (this != &o) {
    release();
    ledger_ = std::exchange(o.ledger_, nullptr);
    bucket_ = std::move(o.bucket_);
    bytes_ = std::exchange(o.bytes_, 0);
    objects_ = std::exchange(o.objects_, 0);
  }
  return *this;
}

void cache_ledger::reservation::release() noexcept {
  if (ledger_ == nullptr) return;
  ledger_->release(*bucket_, bytes_, objects_);
  ledger_ = nullptr;
  bucket_.reset();
  bytes_ = 0;
  objects_ = 0;
}

void cache_ledger::release(bucket_state& b, std::uint64_t bytes, std::uint64_t objects) noexcept {
  const auto nb = static_cast<std::int64_t>(bytes);
  const auto no = static_cast<std::int64_t>(objects);
  b.reserved_bytes -= nb;
  b.reserved_objects -= no;
  reserved_bytes_ -= nb;
  reserved_objects_ -= no;
}

// ---- configuration --------------------------------------------------------

cache_ledger::cache_ledger(capacity_config config) {
  set_config(std::move(config));
}

result<void> cache_ledger::validate(const capacity_config& c) {
  const bool ok = c.low_watermark > 0 && c.low_watermark <= c.high_watermark &&
                  c.high_watermark <= 1 && std::isfinite(c.low_watermark) &&
                  std::isfinite(c.high_watermark);
  if (!ok) return make_error_code(errc::invalid_argument);
  return {};
}

void cache_ledger::set_config(capacity_config config) {
  std::unique_lock lock(mu_);
  limited_ = any_limit(config);
  config_ = std::move(config);
}

void cache_ledger::set_bucket_policy(std::string_view bucket, std::optional<bucket_policy> policy) {
  std::unique_lock lock(mu_);
  if (policy)
    config_.buckets.insert_or_assign(std::string(bucket), *policy);
  else if (auto it = config_.buckets.find(bucket); it != config_.buckets.end())
    config_.buckets.erase(it);
  limited_ = any_limit(config_);
}

capacity_config cache_ledger::config() const {
  std::shared_lock lock(mu_);
  return config_;
}

// ---- the index mirror -----------------------------------------------------

std::shared_ptr<cache_ledger::bucket_state> cache_ledger::find(std::string_view bucket) const {
  std::shared_lock lock(mu_);
  auto it = buckets_.find(bucket);
  return it == buckets_.end() ? nullptr : it->second;
}

std::shared_ptr<cache_ledger::bucket_state> cache_ledger::find_or_create(std::string_view bucket) {
  if (auto b = find(bucket)) return b;
  std::unique_lock lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(std::string(bucket));
  if (inserted) it->second = std::make_shared<bucket_state>(std::string(bucket));
  return it->second;
}

bool cache_ledger::record_put(std::string_view bucket, std::string_view key,
                              std::string_view data_id, object_footprint now,
                              std::optional<object_footprint> previous, std::int64_t access_ns,
                              reservation* room) {
  auto b = find_or_create(bucket);
  const std::int64_t objects = previous ? 0 : 1;
  const std::int64_t bytes = static_cast<std::int64_t>(now.size) -
                             static_cast<std::int64_t>(previous ? previous->size : 0);
  const std::int64_t stored = static_cast<std::int64_t>(now.stored) -
                              static_cast<std::int64_t>(previous ? previous->stored : 0);
  {
    // Admissions read usage + reservations under admit_mu_: convert in one step.
    std::unique_lock<std::mutex> admit;
    if (room != nullptr && room->ledger_ != nullptr) admit = std::unique_lock(admit_mu_);
    b->objects += objects;
    b->bytes += bytes;
    b->stored += stored;
    objects_ += objects;
    bytes_ += bytes;
    stored_ += stored;
    if (room != nullptr) room->release();
  }
  b->recency.upsert(key, data_id, now.size, access_ns);
  if (!limited()) return false;
  std::shared_lock lock(mu_);
  return over_high_locked(*b);
}

void cache_ledger::record_remove(std::string_view bucket, std::string_view key,
                                 object_footprint previous) {
  auto b = find_or_create(bucket);
  b->objects -= 1;
  b->bytes -= static_cast<std::int64_t>(previous.size);
  b->stored -= static_cast<std::int64_t>(previous.stored);
  objects_ -= 1;
  bytes_ -= static_cast<std::int64_t>(previous.size);
  stored_ -= static_cast<std::int64_t>(previous.stored);
  b->recency.erase(key);
}

void cache_ledger::touch(std::string_view bucket, std::string_view key, std::int64_t now_ns) {
  if (auto b = find(bucket)) b->recency.touch(key, now_ns);
}

void cache_ledger::clear_objects() {
  std::shared_lock lock(mu_);
  for (auto& [name, b] : buckets_) {
    objects_ -= b->objects.exchange(0);
    bytes_ -= b->bytes.exchange(0);
    stored_ -= b->stored.exchange(0);
    b->recency.clear();
  }
}

void cache_ledger::finish_load() {
  std::vector<std::shared_ptr<bucket_state>> all;
  {
    std::shared_lock lock(mu_);
    for (auto& [name, b] : buckets_) all.push_back(b);
  }
  for (auto& b : all) b->recency.sort_by_access();
}

// ---- admission and pressure -----------------------------------------------

cache_ledger::scope_usage cache_ledger::committed_and_reserved(const bucket_state& b) noexcept {
  return {non_negative(b.objects.load() + b.reserved_objects.load()),
          non_negative(b.bytes.load() + b.reserved_bytes.load())};
}

cache_ledger::scope_usage cache_ledger::node_committed_and_reserved() const noexcept {
  return {non_negative(objects_.load() + reserved_objects_.load()),
          non_negative(bytes_.load() + reserved_bytes_.load())};
}

const bucket_policy* cache_ledger::policy_locked(std::string_view bucket) const {
  auto it = config_.buckets.find(bucket);
  return it == config_.buckets.end() ? nullptr : &it->second;
}

cache_ledger::scope_usage cache_ledger::evictable_locked(std::string_view only_bucket) const {
  scope_usage out;
  for (const auto& [name, b] : buckets_) {
    if (!only_bucket.empty() && name != only_bucket) continue;
    if (const bucket_policy* p = policy_locked(name); p && p->no_evict) continue;
    out.objects += non_negative(b->objects.load());
    out.bytes += non_negative(b->bytes.load());
  }
  return out;
}

admission cache_ledger::assess_locked(std::string_view bucket, std::uint64_t bytes,
                                      bool adds_object) const {
  admission a;
  auto it = buckets_.find(bucket);
  const bucket_state* b = it == buckets_.end() ? nullptr : it->second.get();
  const scope_usage bu = b ? committed_and_reserved(*b) : scope_usage{};
  const bucket_policy* p = policy_locked(bucket);
  const bool bucket_evictable = p == nullptr || !p->no_evict;
  std::uint64_t freed_in_bucket = 0;  // bytes a bucket need frees node-wide too
  std::uint64_t freed_objects_in_bucket = 0;
  if (p != nullptr) {
    eviction_need need{eviction_reason::bucket_bytes, std::string(bucket), 0, 0};
    if (p->max_bytes != 0) {
      if (bytes > p->max_bytes) {
        a.refusal = make_error_code(errc::quota_exceeded);
        return a;
      }
      if (bu.bytes + bytes > p->max_bytes) need.bytes = bu.bytes + bytes - p->max_bytes;
    }
    if (p->max_objects != 0 && adds_object && bu.objects + 1 > p->max_objects)
      need.objects = bu.objects + 1 - p->max_objects;
    if (need.bytes != 0 || need.objects != 0) {
      const scope_usage evictable = evictable_locked(bucket);
      if (p->no_evict || evictable.bytes < need.bytes || evictable.objects < need.objects) {
        a.refusal = make_error_code(errc::quota_exceeded);
        return a;
      }
      if (need.bytes == 0) need.reason = eviction_reason::bucket_objects;
      freed_in_bucket = need.bytes;
      freed_objects_in_bucket = need.objects;
      a.needs.push_back(std::move(need));
    }
  }
  if (config_.max_bytes != 0 || config_.max_objects != 0) {
    const scope_usage nu = node_committed_and_reserved();
    eviction_need need{eviction_reason::node_bytes, {}, 0, 0};
    if (config_.max_bytes != 0) {
      if (bytes > config_.max_bytes) {
        a.refusal = make_error_code(capacity_errc::insufficient_capacity);
        return a;
      }
      if (nu.bytes + bytes > config_.max_bytes) need.bytes = nu.bytes + bytes - config_.max_bytes;
    }
    if (config_.max_objects != 0 && adds_object && nu.objects + 1 > config_.max_objects)
      need.objects = nu.objects + 1 - config_.max_objects;
    if (bucket_evictable) {
      // Evicting for the bucket's own quota frees node-wide room as well.
      need.bytes -= std::min(need.bytes, freed_in_bucket);
      need.objects -= std::min(need.objects, freed_objects_in_bucket);
    }
    if (need.bytes != 0 || need.objects != 0) {
      const scope_usage evictable = evictable_locked({});
      if (evictable.bytes < need.bytes + freed_in_bucket ||
          evictable.objects < need.objects + freed_objects_in_bucket) {
        a.refusal = make_error_code(capacity_errc::insufficient_capacity);
        return a;
      }
      if (need.bytes == 0) need.reason = eviction_reason::node_objects;
      a.needs.push_back(std::move(need));
    }
  }
  return a;
}

admission cache_ledger::assess(std::string_view bucket, std::uint64_t bytes,
                               bool adds_object) const {
  if (!limited()) return {};
  std::shared_lock lock(mu_);
  return assess_locked(bucket, bytes, adds_object);
}

std::optional<cache_ledger::reservation> cache_ledger::try_reserve(std::string_view bucket,
                                                                   std::uint64_t bytes,
                                                                   bool adds_object,
                                                                   admission& verdict) {
  auto b = find_or_create(bucket);
  std::lock_guard admit(admit_mu_);
  if (limited()) {
    std::shared_lock lock(mu_);
    verdict = assess_locked(bucket, bytes, adds_object);
  } else {
    verdict = {};
  }
  if (!verdict.fits()) return std::nullopt;
  const std::uint64_t objects = adds_object ? 1 : 0;
  b->reserved_bytes += static_cast<std::int64_t>(bytes);
  b->reserved_objects += static_cast<std::int64_t>(objects);
  reserved_bytes_ += static_cast<std::int64_t>(bytes);
  reserved_objects_ += static_cast<std::int64_t>(objects);
  return reservation(this, std::move(b), bytes, objects);
}

bool cache_ledger::over_high_locked(const bucket_state& b) const {
  const scope_usage nu = node_committed_and_reserved();
  if (config_.max_bytes != 0 && nu.bytes > mark(config_.max_bytes, config_.high_watermark))
    return true;
  if (config_.max_objects != 0 && nu.objects > mark(config_.max_objects, config_.high_watermark))
    return true;
  const bucket_policy* p = policy_locked(b.name);
  if (p == nullptr || p->no_evict) return false;
  const scope_usage bu = committed_and_reserved(b);
  return (p->max_bytes != 0 && bu.bytes > mark(p->max_bytes, config_.high_watermark)) ||
         (p->max_objects != 0 && bu.objects > mark(p->max_objects, config_.high_watermark));
}

std::vector<eviction_need> cache_ledger::pressure() const {
  std::vector<eviction_need> out;
  if (!limited()) return out;
  std::shared_lock lock(mu_);
  const double high = config_.high_watermark;
  const double low = config_.low_watermark;
  auto add = [&](std::string_view bucket, scope_usage u, std::uint64_t max_bytes,
                 std::uint64_t max_objects, eviction_reason by_bytes, eviction_reason by_objects) {
    eviction_need need{by_bytes, std::string(bucket), 0, 0};
    if (max_bytes != 0 && u.bytes > mark(max_bytes, high))
      need.bytes = u.bytes - mark(max_bytes, low);
    if (max_objects != 0 && u.objects > mark(max_objects, high))
      need.objects = u.objects - mark(max_objects, low);
    if (need.bytes == 0 && need.objects == 0) return;
    if (need.bytes == 0) need.reason = by_objects;
    out.push_back(std::move(need));
  };
  // Bucket quotas first: evicting there also relieves the node.
  for (const auto& [name, p] : config_.buckets) {
    if (p.no_evict || (p.max_bytes == 0 && p.max_objects == 0)) continue;
    auto it = buckets_.find(name);
    if (it == buckets_.end()) continue;
    add(name, committed_and_reserved(*it->second), p.max_bytes, p.max_objects,
        eviction_reason::bucket_bytes, eviction_reason::bucket_objects);
  }
  add({}, node_committed_and_reserved(), config_.max_bytes, config_.max_objects,
      eviction_reason::node_bytes, eviction_reason::node_objects);
  return out;
}

std::vector<eviction_candidate> cache_ledger::candidates(const eviction_need& need,
                                                         std::size_t n) const {
  std::vector<std::shared_ptr<bucket_state>> scope;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, b] : buckets_) {
      if (!need.bucket.empty() && name != need.bucket) continue;
      if (const bucket_policy* p = policy_locked(name); p && p->no_evict) continue;
      scope.push_back(b);
    }
  }
  std::vector<eviction_candidate> out;
  for (const auto& b : scope)
    for (recency_list::entry& e : b->recency.oldest(n))
      out.push_back({b->name, std::move(e.key), std::move(e.data_id), e.size, e.access_ns});
  const std::size_t keep = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                    [](const auto& a, const auto& b) { return a.access_ns < b.access_ns; });
  out.resize(keep);
  return out;
}

// ---- counters and reports -------------------------------------------------

void cache_ledger::note_evicted(eviction_reason reason, std::uint64_t bytes,
                                bool inline_eviction) noexcept {
  const auto i = static_cast<std::size_t>(reason);
  evicted_objects_[i].fetch_add(1, std::memory_order_relaxed);
  evicted_bytes_[i].fetch_add(bytes, std::memory_order_relaxed);
  if (inline_eviction) inline_evictions_.fetch_add(1, std::memory_order_relaxed);
}

void cache_ledger::note_refused(const std::error_code& refusal) noexcept {
  if (refusal == capacity_errc::insufficient_capacity)
    refused_capacity_.fetch_add(1, std::memory_order_relaxed);
  else
    refused_quota_.fetch_add(1, std::memory_order_relaxed);
}

usage_totals cache_ledger::node_usage() const {
  return {non_negative(objects_.load()), non_negative(bytes_.load()), non_negative(stored_.load()),
          non_negative(reserved_bytes_.load()), non_negative(reserved_objects_.load())};
}

capacity_report cache_ledger::report() const {
  capacity_report r;
  r.node = node_usage();
  std::vector<std::shared_ptr<bucket_state>> all;
  {
    std::shared_lock lock(mu_);
    r.max_bytes = config_.max_bytes;
    r.max_objects = config_.max_objects;
    r.high_watermark = config_.high_watermark;
    r.low_watermark = config_.low_watermark;
    for (const auto& [name, b] : buckets_) all.push_back(b);
    for (const auto& [name, p] : config_.buckets) {
      bucket_capacity c;
      c.bucket = name;
      c.policy = p;
      r.buckets.push_back(std::move(c));
    }
  }
  for (const auto& b : all) {
    auto it = std::find_if(r.buckets.begin(), r.buckets.end(),
                           [&](const bucket_capacity& c) { return c.bucket == b->name; });
    if (it == r.buckets.end()) {
      if (b->objects.load() <= 0 && b->reserved_bytes.load() <= 0) continue;
      r.buckets.push_back(bucket_capacity{b->name, {}, {}, 0});
      it = std::prev(r.buckets.end());
    }
    it->usage = {non_negative(b->objects.load()), non_negative(b->bytes.load()),
                 non_negative(b->stored.load()), non_negative(b->reserved_bytes.load()),
                 non_negative(b->reserved_objects.load())};
    it->oldest_access_ns = b->recency.oldest_access();
    if (it->oldest_access_ns != 0 &&
        (r.oldest_access_ns == 0 || it->oldest_access_ns < r.oldest_access_ns))
      r.oldest_access_ns = it->oldest_access_ns;
  }
  std::sort(r.buckets.begin(), r.buckets.end(),
            [](const auto& a, const auto& b) { return a.bucket < b.bucket; });
  for (std::size_t i = 0; i < kEvictionReasons; ++i)
    r.evicted[i] = {evicted_objects_[i].load(), evicted_bytes_[i].load()};
  r.inline_evictions = inline_evictions_.load();
  r.skipped_pinned = skipped_pinned_.load();
  r.refused_quota = refused_quota_.load();
  r.refused_capacity = refused_capacity_.load();
  return r;
}

std::uint64_t stored_bytes(const object_info& o, std::uint32_t k, std::uint32_t m,
                           std::uint32_t block_size) noexcept {
  const std::uint64_t shards = std::uint64_t{k} + m;
  if (o.parts.empty()) return part_geometry{o.size, k, block_size}.shard_file_size() * shards;
  std::uint64_t total = 0;
  for (const part_info& p : o.parts)
    total += part_geometry{p.size, k, block_size}.shard_file_size() * shards;
  return total;
}

}  // namespace kvgate::erasure
