// The cache tier inside the store: the ledger kept in step with the index,
// admission of writes (with inline eviction when the background evictor has
// fallen behind), eviction of least recently used versions nobody reads, and
// the run-time API (docs/cache.md).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "manifest.h"
#include "store_impl.h"

namespace kvgate::erasure {

namespace {
// Candidates fetched per round; several rounds without an eviction end a relief
// (every candidate pinned, overwritten meanwhile, or failing).
constexpr std::size_t kCandidateBatch = 32;
constexpr int kIdleRounds = 4;
// Admission retries: each round evicts at least one object or gives up.
constexpr int kAdmissionRounds = 16;
}  // namespace

object_footprint store_impl::footprint(const object_info& o) const noexcept {
  const set_geometry& g = set_->geometry();
  return {o.size, stored_bytes(o, g.k, g.m, g.block_size)};
}

void store_impl::ledger_put(const object_info& now, const std::optional<index_object>& previous,
                            std::int64_t access_ns, cache_ledger::reservation* room) {
  std::optional<object_footprint> before;
  if (previous) before = footprint(previous->info);
  if (ledger_.record_put(now.bucket, now.key, now.data_id, footprint(now), before, access_ns,
                         room) &&
      evictor_)
    evictor_->wake();
}

void store_impl::ledger_remove(const index_object& previous) {
  ledger_.record_remove(previous.info.bucket, previous.info.key, footprint(previous.info));
}

void store_impl::ledger_touch(std::string_view bucket, std::string_view key) {
  ledger_.touch(bucket, key, now_ns());
}

result<void> store_impl::rebuild_ledger() {
  ledger_.clear_objects();
  if (auto r = index_->for_each_object("",
                                       [&](const index_object& o) {
                                         // This walk at open also carries the
                                         // version order past a clock set back.
                                         note_seq(o.seq);
                                         ledger_.record_put(o.info.bucket, o.info.key,
                                                            o.info.data_id, footprint(o.info),
                                                            std::nullopt, o.info.mtime_ns);
                                         return true;
                                       });
      !r)
    return r;
  ledger_.finish_load();
  if (evictor_) evictor_->wake();
  return {};
}

std::uint64_t store_impl::upload_bytes(std::string_view upload_id,
                                       const std::vector<completed_part>& parts) {
  if (!ledger_.limited()) return 0;
  auto stored = index_->parts(upload_id);
  if (!stored) return 0;
  std::uint64_t total = 0;
  for (const auto& [number, bytes] : *stored) {
    const bool listed =
        std::any_of(parts.begin(), parts.end(),
                    [n = number](const completed_part& p) { return p.number == n; });
    if (!listed) continue;
    if (auto pm = decode_manifest(bytes); pm && !pm->parts.empty()) total += pm->parts[0].info.size;
  }
  return total;
}

result<cache_ledger::reservation> store_impl::admit_write(std::string_view bucket,
                                                          std::string_view key,
                                                          std::uint64_t bytes) {
  if (!ledger_.limited()) return cache_ledger::reservation{};
  // Only real buckets get ledger state (complete_upload admits before its own check).
  if (auto r = check_bucket(bucket); !r) return r.error();
  bool adds_object = true;
  if (auto o = index_->get_object(bucket, key); o && *o) adds_object = false;
  for (int round = 0; round < kAdmissionRounds; ++round) {
    admission verdict;
    if (auto room = ledger_.try_reserve(bucket, bytes, adds_object, verdict))
      return std::move(*room);
    if (verdict.refusal) {
      ledger_.note_refused(verdict.refusal);
      return verdict.refusal;
    }
    // The background evictor is behind: make the room now, then let it get ahead.
    std::uint64_t evicted = 0;
    for (const eviction_need& need : verdict.needs) evicted += relieve(need, true, {});
    if (evictor_) evictor_->wake();
    if (evicted == 0) {
      // Nothing could go (every candidate is being read): refuse like the limit would.
      const std::error_code refusal = verdict.needs.front().bucket.empty()
                                          ? make_error_code(capacity_errc::insufficient_capacity)
                                          : make_error_code(errc::quota_exceeded);
      ledger_.note_refused(refusal);
      return refusal;
    }
  }
  return make_error_code(errc::busy);  // other writers keep taking the room made
}

result<store_impl::eviction_outcome> store_impl::evict_version(const eviction_candidate& c) {
  std::shared_lock bucket_guard(bucket_mutex_);
  // The same key lock open_read pins under: a reader either pinned first (and
  // the version stays) or finds the key gone.
  std::lock_guard key_guard(key_lock(c.bucket, c.key));
  auto current = index_->get_object(c.bucket, c.key);
  if (!current) return current.error();
  if (!*current || (*current)->info.data_id != c.data_id) return eviction_outcome::changed;
  if (pins_.pinned(version_id(c.bucket, c.key, c.data_id))) return eviction_outcome::pinned;
  if (auto r = remove_locked(c.bucket, c.key, **current); !r) return r.error();
  return eviction_outcome::evicted;
}

std::uint64_t store_impl::relieve(const eviction_need& need, bool inline_eviction,
                                  const std::stop_token& stop) {
  std::uint64_t bytes_left = need.bytes;
  std::uint64_t objects_left = need.objects;
  std::uint64_t evicted = 0;
  int idle_rounds = 0;
  while ((bytes_left != 0 || objects_left != 0) && !stop.stop_requested()) {
    const std::vector<eviction_candidate> batch = ledger_.candidates(need, kCandidateBatch);
    if (batch.empty()) break;
    bool progress = false;
    for (const eviction_candidate& c : batch) {
      auto outcome = evict_version(c);
      if (!outcome) {
        spdlog::warn("evicting {}/{} failed: {}", c.bucket, c.key, outcome.error().message());
        continue;
      }
      if (*outcome == eviction_outcome::pinned) {
        // Being read is being used: it moves to the recent end.
        ledger_.note_skipped_pinned();
        ledger_.touch(c.bucket, c.key, now_ns());
        continue;
      }
      if (*outcome != eviction_outcome::evicted) continue;
      ledger_.note_evicted(need.reason, c.size, inline_eviction);
      ++evicted;
      progress = true;
      bytes_left -= std::min(bytes_left, c.size);
      objects_left -= std::min<std::uint64_t>(objects_left, 1);
      if ((bytes_left == 0 && objects_left == 0) || stop.stop_requested()) break;
    }
    if (progress)
      idle_rounds = 0;
    else if (++idle_rounds >= kIdleRounds)
      break;
  }
  return evicted;
}

store_impl::eviction_pass_result store_impl::eviction_pass(const std::stop_token& stop) {
  std::lock_guard pass_guard(eviction_pass_mu_);
  eviction_pass_result out;
  // Pressure is re-read after each round: writers keep adding while we evict.
  for (int round = 0; round < 8 && !stop.stop_requested(); ++round) {
    const std::vector<eviction_need> needs = ledger_.pressure();
    if (needs.empty()) return out;
    std::uint64_t evicted = 0;
    for (const eviction_need& need : needs) evicted += relieve(need, false, stop);
    out.evicted += evicted;
    if (evicted == 0) break;
  }
  out.done = ledger_.pressure().empty();
  return out;
}

result<void> store_impl::check_write(std::string_view bucket, std::string_view key,
                                     std::uint64_t bytes) {
  if (!ledger_.limited()) return {};
  bool adds_object = true;
  // Memory only: when the index would need I/O, count the key as new (stricter).
  if (auto o = index_->get_object(bucket, key, index_read::memory_only); o && *o)
    adds_object = false;
  const admission verdict = ledger_.assess(bucket, bytes, adds_object);
  if (verdict.refusal) {
    ledger_.note_refused(verdict.refusal);
    return verdict.refusal;
  }
  if (!verdict.needs.empty() && evictor_) evictor_->wake();
  return {};
}

result<void> store_impl::set_capacity(capacity_config config) {
  if (auto r = cache_ledger::validate(config); !r) return r;
  ledger_.set_config(std::move(config));
  if (evictor_) evictor_->wake();
  return {};
}

void store_impl::set_bucket_policy(std::string_view bucket, std::optional<bucket_policy> policy) {
  ledger_.set_bucket_policy(bucket, policy);
  if (evictor_) evictor_->wake();
}

capacity_config store_impl::capacity() {
  return ledger_.config();
}

capacity_report store_impl::capacity_usage() {
  return ledger_.report();
}

result<std::uint64_t> store_impl::evict_now() {
  return eviction_pass({}).evicted;
}

}  // namespace kvgate::erasure
