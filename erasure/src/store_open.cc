// store::open, start-up recovery, the background worker and small helpers.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <chrono>

#include "layout.h"
#include "store_impl.h"

namespace kvgate::erasure {

result<std::unique_ptr<store>> store::open(store_options options) {
  std::vector<std::shared_ptr<disk>> disks = options.disks;
  if (disks.empty()) {
    for (const auto& path : options.disk_paths) {
      auto d = open_posix_disk(path);
      if (!d) return d.error();
      disks.push_back(std::move(*d));
    }
  }
  if (disks.empty()) return make_error_code(errc::invalid_argument);
  if (options.inline_limit > (1u << 20)) return make_error_code(errc::invalid_argument);
  if (auto r = cache_ledger::validate(options.capacity); !r) return r.error();
  auto set = disk_set::open(disks, options.parity, static_cast<std::uint32_t>(options.block_size),
                            options.io_threads);
  if (!set) return set.error();
  const set_geometry g = (*set)->geometry();
  options.block_size = g.block_size;
  auto c = codec::create(static_cast<int>(g.k), static_cast<int>(g.m));
  if (!c) return c.error();
  if (options.index_dir.empty()) options.index_dir = disks[0]->root() / ".kvgate" / "index";
  auto index = object_index::open(options.index_dir);
  if (!index) return index.error();
  auto impl = std::make_unique<store_impl>(std::move(options), std::move(*set), std::move(*c),
                                           std::move(*index));
  if (auto r = impl->recover(); !r) return r.error();
  impl->start_background();
  return std::unique_ptr<store>(std::move(impl));
}

store_impl::store_impl(store_options options, std::unique_ptr<disk_set> set,
                       std::shared_ptr<const codec> c, std::unique_ptr<object_index> index)
    : options_(std::move(options)),
      set_(std::move(set)),
      codec_(std::move(c)),
      index_(std::move(index)),
      cache_(std::max<std::size_t>(options_.manifest_cache_entries, 16) * 4096),
      ledger_(options_.capacity) {
  seq_ = static_cast<std::uint64_t>(now_ns());
}

store_impl::~store_impl() {
  if (evictor_) evictor_->stop();  // its pass uses the index, disks and locks below
  if (background_.joinable()) {
    background_.request_stop();
    wake_.notify_all();
    background_.join();
  }
}

result<void> store_impl::recover() {
  // 1. Staging and trash hold nothing that must survive a restart.
  set_->run_each([&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    for (std::string_view dir : {layout::kTmpDir, layout::kTrashDir}) {
      if (auto r = dk.remove_all(dir); !r) return r;
      if (auto r = dk.make_dirs(dir); !r) return r;
    }
    return {};
  });
  // 2. The index: rebuild from the disks if it never completed, else replay intents.
  auto complete = index_->complete();
  if (!complete) return complete.error();
  if (!*complete) {
    auto n = reindex({});
    if (!n) return n.error();
    if (*n > 0) spdlog::info("index rebuilt from the disks: {} objects", *n);
  } else {
    auto intents = index_->intents();
    if (!intents) return intents.error();
    for (const index_intent& i : *intents) {
      if (auto r = repair_key(i.bucket, i.key, i.id); !r) return r.error();
    }
    if (!intents->empty()) spdlog::info("replayed {} index intents", intents->size());
  }
  // Repairs move replaced versions to the trash: empty it again, so that
  // staging and trash hold nothing once the store is open (as step 1 says).
  purge_trash();
  // 3. Usage and recency are derived from the index.
  if (auto r = rebuild_ledger(); !r) return r;
  // 4. A replaced disk is rebuilt object by object through the heal queue.
  for (std::size_t d = 0; d < set_->size(); ++d)
    if (set_->at(d).needs_full_heal) return queue_full_heal("disk replaced");
  return {};
}

result<void> store_impl::queue_full_heal(std::string_view why) {
  return index_->for_each_object("", [&](const index_object& o) {
    queue_heal(o.info.bucket, o.info.key, why);
    return true;
  });
}

void store_impl::probe_offline_disks() {
  const auto now = std::chrono::steady_clock::now();
  probes_.resize(set_->size());
  for (std::size_t d = 0; d < set_->size(); ++d) {
    disk_probe& p = probes_[d];
    if (set_->online(d)) {
      p = {};
      continue;
    }
    if (p.next == std::chrono::steady_clock::time_point{}) {  // newly offline
      p.interval = options_.disk_probe_first;
      p.next = now + p.interval;
      continue;
    }
    if (now < p.next) continue;
    const disk_set::probe_result probed = set_->try_return(d);
    switch (probed.outcome) {
      case disk_set::disk_return::still_offline:
        p.interval = std::min(p.interval * 2, options_.disk_probe_max);
        p.next = now + p.interval;
        spdlog::info("disk {} still offline ({}); next probe in {} ms",
                     set_->disk_at(d).root().string(), probed.why, p.interval.count());
        break;
      case disk_set::disk_return::replaced:
        if (auto r = queue_full_heal("disk replaced"); !r)
          spdlog::warn("queueing the replaced disk's objects: {}", r.error().message());
        [[fallthrough]];
      case disk_set::disk_return::returned:
        // What changed while it was away is in the heal queue: drained next.
        p = {};
        break;
    }
  }
}

void store_impl::start_background() {
  if (options_.capacity.background_eviction) {
    evictor_ = std::make_unique<evictor>(
        [this](const std::stop_token& stop) { return eviction_pass(stop).done; },
        std::chrono::milliseconds(500));
    evictor_->start();  // after evictor_ is set: the pass may read it
  }
  if (!options_.background_heal) return;
  background_ = std::jthread([this](std::stop_token stop) { background_loop(stop); });
}

void store_impl::background_loop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    probe_offline_disks();
    auto drained = drain_heal_queue();
    if (!drained) spdlog::warn("heal queue: {}", drained.error().message());
    purge_trash();
    // An offline disk is probed on its own schedule, which may be shorter.
    std::chrono::milliseconds wait = std::chrono::seconds(2);
    if (set_->online_count() < set_->size()) wait = std::min(wait, options_.disk_probe_first);
    std::unique_lock lock(wake_mu_);
    wake_.wait_for(lock, stop, wait, [] { return false; });
  }
}

void store_impl::purge_trash() {
  set_->run_each([&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    auto entries = dk.list(layout::kTrashDir);
    if (!entries) return entries.error();
    for (const dir_entry& e : *entries)
      static_cast<void>(dk.remove_all(fmt::format("{}/{}", layout::kTrashDir, e.name)));
    return {};
  });
}

void store_impl::note_seq(std::uint64_t seen) noexcept {
  std::uint64_t current = seq_.load();
  while (current <= seen && !seq_.compare_exchange_weak(current, seen + 1)) {
  }
}

std::int64_t store_impl::now_ns() const {
  if (options_.clock_ns) return options_.clock_ns();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint32_t store_impl::rotation_for(std::string_view hash) const noexcept {
  const std::uint64_t h = XXH3_64bits(hash.data(), hash.size());
  return static_cast<std::uint32_t>(h % set_->size());
}

std::mutex& store_impl::key_lock(std::string_view bucket, std::string_view key) noexcept {
  const std::uint64_t h =
      XXH3_64bits_withSeed(key.data(), key.size(), XXH3_64bits(bucket.data(), bucket.size()));
  return key_locks_[h % key_locks_.size()];
}

void store_impl::crash_point(std::string_view name) const {
  if (options_.on_crash_point) options_.on_crash_point(name);
}

void store_impl::queue_heal(std::string_view bucket, std::string_view key,
                            std::string_view reason) {
  {
    std::lock_guard lock(queued_mu_);
    if (!queued_.insert(version_id(bucket, key, "")).second) return;
  }
  if (auto r = index_->queue_heal(bucket, key, reason); !r) {
    spdlog::error("cannot queue {}/{} for heal: {}", bucket, key, r.error().message());
    std::lock_guard lock(queued_mu_);
    queued_.erase(version_id(bucket, key, ""));
  }
  wake_.notify_all();
}

void store_impl::dequeue_heal(std::string_view bucket, std::string_view key) {
  {
    std::lock_guard lock(queued_mu_);
    queued_.erase(version_id(bucket, key, ""));
  }
  static_cast<void>(index_->dequeue_heal(bucket, key));
}

bool valid_bucket_name(std::string_view name) noexcept {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  bool all_digits_or_dots = true;
  int dots = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!alnum(c) && c != '.' && c != '-') return false;
    if (c == '.') {
      ++dots;
      if (i > 0 && (name[i - 1] == '.' || name[i - 1] == '-')) return false;
      if (i + 1 < name.size() && name[i + 1] == '-') return false;
    } else if (!(c >= '0' && c <= '9')) {
      all_digits_or_dots = false;
    }
  }
  if (all_digits_or_dots && dots == 3) return false;  // looks like an IPv4 address
  return true;
}

bool valid_key(std::string_view key) noexcept {
  return !key.empty() && key.size() <= kMaxKeyBytes && key.find('\0') == std::string_view::npos;
}

}  // namespace kvgate::erasure
