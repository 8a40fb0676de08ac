// The lifecycle / TTL worker (lifecycle_worker.h).
#include "kvgate/s3/lifecycle_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kvgate/s3/cache_policy.h"
#include "kvgate/s3xml/lifecycle_documents.h"

namespace kvgate::s3 {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr auto kResumePause = std::chrono::seconds(1);  // between passes of one walk

bool has_expiration(const s3xml::lifecycle_rule& r) {
  return r.enabled && (r.expiration_days || r.expiration_date);
}

bool has_abort(const s3xml::lifecycle_rule& r) {
  return r.enabled && r.abort_upload_days.has_value();
}

struct bucket_work {
  std::string name;
  s3xml::lifecycle_configuration rules;
  std::uint64_t ttl_seconds = 0;
  std::uint64_t abandoned_upload_seconds = 0;  // node-wide, every bucket

  bool expires_objects() const {
    return ttl_seconds != 0 || std::any_of(rules.rules.begin(), rules.rules.end(), has_expiration);
  }
  bool aborts_uploads() const {
    return abandoned_upload_seconds != 0 ||
           std::any_of(rules.rules.begin(), rules.rules.end(), has_abort);
  }
};

}  // namespace

// One walk over every bucket with rules or a TTL, resumable between passes.
struct lifecycle_worker::walk {
  std::vector<bucket_work> buckets;
  std::size_t index = 0;
  bool uploads_phase = false;
  std::string start_after;
  std::string key_marker;
  std::string upload_id_marker;

  // Reads the buckets and their configurations afresh.
  static std::unique_ptr<walk> start(lifecycle_worker& w) {
    auto listed = w.store_->list_buckets();
    if (!listed) {
      ++w.errors_;
      return nullptr;
    }
    auto out = std::make_unique<walk>();
    auto policy = kept_cache_policy(*w.store_);
    if (!policy) ++w.errors_;
    for (const auto& b : *listed) {
      bucket_work work;
      work.name = b.name;
      work.abandoned_upload_seconds = w.options_.abandoned_upload_seconds;
      if (policy) work.ttl_seconds = policy->ttl_seconds(b.name);
      auto xml = w.store_->get_setting(lifecycle_setting(b.name));
      if (!xml) {
        ++w.errors_;
        continue;
      }
      if (*xml) {
        auto parsed = s3xml::parse_lifecycle_configuration(**xml);
        if (parsed) {
          work.rules = std::move(*parsed);
        } else {
          ++w.errors_;
          spdlog::warn("lifecycle: bucket {}: kept configuration unreadable: {}", b.name,
                       parsed.error().message());
        }
      }
      if (work.expires_objects() || work.aborts_uploads()) out->buckets.push_back(std::move(work));
    }
    return out;
  }

  bool expired(const lifecycle_worker& w, const bucket_work& b, std::string_view key,
               std::int64_t mtime_ns, std::int64_t now) const {
    if (b.ttl_seconds != 0 &&
        mtime_ns + static_cast<std::int64_t>(b.ttl_seconds) * kNsPerSecond <= now)
      return true;
    const auto day_ns = static_cast<std::int64_t>(w.options_.day_seconds) * kNsPerSecond;
    for (const auto& r : b.rules.rules) {
      if (!has_expiration(r) || !key.starts_with(r.prefix)) continue;
      if (r.expiration_days &&
          mtime_ns + static_cast<std::int64_t>(*r.expiration_days) * day_ns <= now)
        return true;
      if (r.expiration_date && *r.expiration_date * kNsPerSecond <= now) return true;
    }
    return false;
  }

  // One page of the bucket's objects; moves to the uploads when done.
  void walk_objects(lifecycle_worker& w, const bucket_work& b, std::uint32_t& budget) {
    if (!b.expires_objects()) {
      uploads_phase = true;
      return;
    }
    erasure::list_params p;
    p.start_after = start_after;
    p.max_keys = static_cast<int>(std::min<std::uint32_t>(budget, 1000));
    auto page = w.store_->list(b.name, p);
    if (!page) {
      if (page.error() != erasure::errc::bucket_not_found) ++w.errors_;
      uploads_phase = true;
      return;
    }
    const std::int64_t now = w.now_ns();
    for (const auto& e : page->objects) {
      --budget;
      if (!expired(w, b, e.key, e.mtime_ns, now)) continue;
      // Only the version that was judged: an overwrite since the listing stays.
      auto current = w.store_->head(b.name, e.key);
      if (!current || current->mtime_ns != e.mtime_ns || current->etag != e.etag) continue;
      if (auto r = w.store_->remove(b.name, e.key); !r) {
        ++w.errors_;
        continue;
      }
      ++w.expired_objects_;
      w.expired_bytes_ += e.size;
    }
    start_after = page->next_start_after;
    if (!page->truncated || page->objects.empty()) uploads_phase = true;
  }

  // One page of the bucket's uploads; false when the bucket is done.
  bool walk_uploads(lifecycle_worker& w, const bucket_work& b, std::uint32_t& budget) {
    if (!b.aborts_uploads()) return false;
    const auto day_ns = static_cast<std::int64_t>(w.options_.day_seconds) * kNsPerSecond;
    erasure::list_uploads_params p;
    p.key_marker = key_marker;
    p.upload_id_marker = upload_id_marker;
    p.max_uploads = static_cast<int>(std::min<std::uint32_t>(budget, 1000));
    auto page = w.store_->list_uploads(b.name, p);
    if (!page) {
      if (page.error() != erasure::errc::bucket_not_found) ++w.errors_;
      return false;
    }
    const std::int64_t now = w.now_ns();
    for (const auto& u : page->uploads) {
      --budget;
      const bool abandoned =
          b.abandoned_upload_seconds != 0 &&
          u.initiated_ns + static_cast<std::int64_t>(b.abandoned_upload_seconds) * kNsPerSecond <=
              now;
      const bool stale =
          abandoned || std::any_of(b.rules.rules.begin(), b.rules.rules.end(), [&](const auto& r) {
            return has_abort(r) && u.key.starts_with(r.prefix) &&
                   u.initiated_ns + static_cast<std::int64_t>(*r.abort_upload_days) * day_ns <= now;
          });
      if (!stale) continue;
      if (auto r = w.store_->abort_upload(b.name, u.key, u.upload_id); !r) {
        if (r.error() != erasure::errc::upload_not_found) ++w.errors_;
        continue;
      }
      ++w.aborted_uploads_;
    }
    key_marker = page->next_key_marker;
    upload_id_marker = page->next_upload_id_marker;
    return page->truncated && !page->uploads.empty();
  }
};

std::string lifecycle_setting(std::string_view bucket) {
  return erasure::bucket_setting_prefix(bucket) + "lifecycle";
}

lifecycle_worker::lifecycle_worker(std::shared_ptr<erasure::store> store, lifecycle_options options)
    : store_(std::move(store)), options_(std::move(options)) {
  options_.batch = std::max<std::uint32_t>(1, options_.batch);
  options_.day_seconds = std::max<std::uint64_t>(1, options_.day_seconds);
  if (options_.background) thread_ = std::thread([this] { run(); });
}

lifecycle_worker::~lifecycle_worker() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

lifecycle_stats lifecycle_worker::stats() const {
  return {passes_.load(),        cycles_.load(),          expired_objects_.load(),
          expired_bytes_.load(), aborted_uploads_.load(), errors_.load()};
}

std::int64_t lifecycle_worker::now_ns() {
  if (options_.clock_ns) return options_.clock_ns();
  const auto since_epoch = [](auto now) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  };
  const std::int64_t reading = ages_.read(since_epoch(std::chrono::system_clock::now()),
                                          since_epoch(std::chrono::steady_clock::now()));
  const bool lagging = ages_.lag_ns() > 60 * kNsPerSecond;
  if (lagging != reported_lag_) {
    reported_lag_ = lagging;
    if (lagging) {
      spdlog::warn(
          "lifecycle: the wall clock jumped forward by {} s; ages (TTL, expiration, abandoned "
          "uploads) catch up with it at twice the real pace instead of all at once",
          ages_.lag_ns() / kNsPerSecond);
    } else {
      spdlog::info("lifecycle: ages in step with the wall clock again");
    }
  }
  return reading;
}

void lifecycle_worker::run() {
  std::unique_lock lock(wake_mutex_);
  while (!stopping_) {
    lock.unlock();
    const bool finished = run_pass();
    lock.lock();
    const std::chrono::seconds pause =
        finished ? options_.interval
                 : std::min<std::chrono::seconds>(options_.interval, kResumePause);
    wake_.wait_for(lock, pause, [this] { return stopping_; });
  }
}

bool lifecycle_worker::run_pass() {
  std::lock_guard lock(pass_mutex_);
  ++passes_;
  if (!walk_) {
    walk_ = walk::start(*this);
    if (!walk_) return true;
  }
  std::uint32_t budget = options_.batch;
  while (budget > 0 && walk_->index < walk_->buckets.size()) {
    const bucket_work& b = walk_->buckets[walk_->index];
    bool more = true;
    if (!walk_->uploads_phase) {
      walk_->walk_objects(*this, b, budget);
    } else {
      more = walk_->walk_uploads(*this, b, budget);
    }
    if (walk_->uploads_phase && !more) {
      ++walk_->index;
      walk_->uploads_phase = false;
      walk_->start_after.clear();
      walk_->key_marker.clear();
      walk_->upload_id_marker.clear();
    }
  }
  if (walk_->index < walk_->buckets.size()) return false;
  walk_.reset();
  ++cycles_;
  return true;
}

}  // namespace kvgate::s3
