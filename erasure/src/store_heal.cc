// Maintenance: heal (restore full redundancy), verify, scrub (verify every
// block, collect orphans), reindex (rebuild the index from the manifests) and
// info. docs/formats/erasure-layout.md, "Healing and scrub".
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "aligned_buffer.h"
#include "geometry.h"
#include "layout.h"
#include "store_impl.h"

namespace kvgate::erasure {

namespace {

// Reads block `stripe` of a part file and checks it against `expected`.
bool read_block(file* f, std::uint64_t offset, std::span<std::byte> dst, std::uint64_t expected) {
  if (f == nullptr) return false;
  auto n = f->pread(dst, offset);
  return n && *n == dst.size() && XXH3_64bits(dst.data(), dst.size()) == expected;
}

// Visits every object directory buckets/<bucket>/obj/<h0h1>/<h2h3>/<hash> of
// a bucket on one disk, with its path and hash. Unreadable levels are skipped.
void for_each_object_dir(disk& dk, const std::string& bucket,
                         const std::function<void(const std::string&, const std::string&)>& visit) {
  const std::string root = layout::bucket_objects_dir(bucket);
  auto l1 = dk.list(root);
  if (!l1) return;
  for (const dir_entry& a : *l1) {
    const std::string p1 = root + "/" + a.name;
    auto l2 = dk.list(p1);
    if (!l2) continue;
    for (const dir_entry& b : *l2) {
      const std::string p2 = p1 + "/" + b.name;
      auto l3 = dk.list(p2);
      if (!l3) continue;
      for (const dir_entry& h : *l3) visit(p2 + "/" + h.name, h.name);
    }
  }
}

bool verify_inline(const manifest& m, const std::string& shard_bytes, std::uint32_t shard) {
  const part_layout& p = m.parts[0];
  const part_geometry g{p.info.size, m.k, m.block_size};
  if (shard_bytes.size() != g.shard_file_size()) return false;
  for (std::uint64_t s = 0; s < g.stripes(); ++s) {
    const std::uint64_t len = g.block_length(s);
    if (XXH3_64bits(shard_bytes.data() + s * m.block_size, len) !=
        p.block_checksums[s * m.shard_count() + shard])
      return false;
  }
  return true;
}

}  // namespace

result<object_health> store_impl::check_object(std::string_view bucket, std::string_view key,
                                               bool repair) {
  object_health h;
  h.bucket = bucket;
  h.key = key;
  h.shards_total = static_cast<int>(set_->size());
  std::unique_lock key_guard(key_lock(bucket, key));
  auto indexed = index_->get_object(bucket, key);
  if (!indexed) return indexed.error();
  // Under the key lock no write of this key is in flight, so the version the
  // index names is live even if most of its manifests were lost.
  auto resolved = resolve(
      bucket, key, *indexed ? std::string_view((*indexed)->info.data_id) : std::string_view());
  if (!resolved) return resolved.error();
  if (!*resolved) {
    if (!*indexed) return make_error_code(errc::object_not_found);
    h.readable = false;
    h.problem = "fewer than k copies left: object lost";
    if (repair)
      if (auto r = repair_key(bucket, key, 0); !r) return r.error();
    return h;
  }
  const resolved_object& r = **resolved;
  const manifest& m = r.best;
  if (repair && (!*indexed || (*indexed)->info.data_id != m.object.data_id))
    if (auto fixed = repair_key(bucket, key, 0); !fixed) return fixed.error();

  // Which disks hold a complete, verified copy of their shard?
  const std::string hash = layout::key_hash(bucket, key);
  const std::string data = layout::data_dir(bucket, hash, m.object.data_id);
  // data_good: the disk's shard verifies against the chosen manifest (for a
  // streamed object even when that disk's own manifest copy is missing or bad:
  // every copy is the same, one is enough to rebuild the others). good: data
  // and manifest copy both in place.
  std::vector<char> good(set_->size(), 0);
  std::vector<char> data_good(set_->size(), 0);
  std::vector<char> checksum_bad(set_->size(), 0);  // full-size shard file, a block fails
  set_->run_each([&](std::size_t d) -> result<void> {
    if (!r.data_present[d]) return {};
    const auto shard = m.shard_of_disk(static_cast<std::uint32_t>(d));
    if (m.inlined) {
      // The shard may come from an embedded previous copy (manifest::prev).
      data_good[d] = verify_inline(m, r.inline_shards[shard], shard) ? 1 : 0;
      good[d] = data_good[d] && r.meta_ok[d] ? 1 : 0;
      return {};
    }
    aligned_buffer block(m.block_size);
    for (const part_layout& p : m.parts) {
      const part_geometry g{p.info.size, m.k, m.block_size};
      auto f = set_->disk_at(d).open_read(layout::part_file(data, p.info.number));
      if (!f) return f.error();
      auto size = (*f)->size();
      if (!size || *size != g.shard_file_size()) return make_error_code(errc::corrupt);
      for (std::uint64_t s = 0; s < g.stripes(); ++s) {
        if (!read_block(f->get(), s * m.block_size, block.span().first(g.block_length(s)),
                        p.block_checksums[s * m.shard_count() + shard])) {
          checksum_bad[d] = 1;
          return make_error_code(errc::corrupt);
        }
      }
    }
    data_good[d] = 1;
    good[d] = r.meta_ok[d] ? 1 : 0;
    return {};
  });
  std::vector<std::size_t> targets;
  int shards_readable = 0;
  for (std::size_t d = 0; d < set_->size(); ++d) {
    shards_readable += data_good[d] ? 1 : 0;
    if (good[d]) {
      ++h.shards_ok;
    } else if (set_->online(d)) {
      targets.push_back(d);
    }
  }
  if (shards_readable < static_cast<int>(m.k)) {
    h.readable = false;
    h.problem =
        fmt::format("only {} of {} shards verify; {} needed", shards_readable, h.shards_total, m.k);
    return h;
  }
  if (targets.empty()) {
    if (h.shards_ok < h.shards_total) h.problem = "disks offline";
    return h;
  }
  h.problem = fmt::format("{} shard(s) missing or corrupt", targets.size());
  if (!repair) return h;
  resolved_object verified = r;
  for (std::size_t d = 0; d < set_->size(); ++d) verified.data_present[d] = data_good[d] != 0;
  if (auto rebuilt = rebuild_disks(verified, targets); !rebuilt) return rebuilt.error();
  h.shards_healed = static_cast<int>(targets.size());
  h.shards_ok += h.shards_healed;
  h.problem.clear();
  ++healed_objects_;
  for (std::size_t d : targets) bitrot_repaired_ += checksum_bad[d] ? 1 : 0;
  return h;
}

result<void> store_impl::rebuild_disks(const resolved_object& r,
                                       const std::vector<std::size_t>& targets) {
  const manifest& m = r.best;
  const std::uint32_t shards = m.shard_count();
  const std::string bucket = m.object.bucket;
  const std::string hash = layout::key_hash(bucket, m.object.key);
  const std::string data = layout::data_dir(bucket, hash, m.object.data_id);
  // Disks whose shard data verifies only need their manifest rewritten; the
  // others get their shards rebuilt, from every disk with good data.
  std::vector<std::size_t> data_targets;
  shard_mask wanted = 0;
  for (std::size_t d : targets) {
    if (r.data_present[d]) continue;
    data_targets.push_back(d);
    wanted |= shard_mask{1} << m.shard_of_disk(static_cast<std::uint32_t>(d));
  }
  const auto rebuilds = [&](std::size_t d) {
    return std::find(data_targets.begin(), data_targets.end(), d) != data_targets.end();
  };

  std::vector<std::string> inline_shards;
  const std::string op = layout::random_id();
  const std::string staging = layout::tmp_dir(op);
  if (m.inlined) {
    inline_shards = r.inline_shards;
    const part_geometry g{m.parts[0].info.size, m.k, m.block_size};
    for (std::uint32_t i = 0; i < shards; ++i)
      if (wanted & (shard_mask{1} << i)) inline_shards[i].assign(g.shard_file_size(), '\0');
    aligned_buffer buf(std::size_t{shards} * m.block_size);
    for (std::uint64_t s = 0; s < g.stripes(); ++s) {
      const std::uint64_t len = g.block_length(s);
      std::vector<std::uint8_t*> ptrs(shards);
      shard_mask present = 0;
      for (std::uint32_t i = 0; i < shards; ++i) {
        ptrs[i] = reinterpret_cast<std::uint8_t*>(buf.data() + std::size_t{i} * m.block_size);
        const std::size_t d = m.disk_of_shard(i);
        if (!(wanted & (shard_mask{1} << i)) && r.data_present[d]) {
          std::memcpy(ptrs[i], inline_shards[i].data() + s * m.block_size, len);
          present |= shard_mask{1} << i;
        }
      }
      if (auto rc = codec_->reconstruct(ptrs, present, wanted, len); !rc) return rc;
      for (std::uint32_t i = 0; i < shards; ++i)
        if (wanted & (shard_mask{1} << i))
          std::memcpy(inline_shards[i].data() + s * m.block_size, ptrs[i], len);
    }
  } else if (wanted != 0) {
    // Stage the rebuilt part files on each disk that lost its data, stripe by stripe.
    for (std::size_t d : data_targets) {
      disk& dk = set_->disk_at(d);
      if (auto rc = dk.make_dirs(staging); !rc) return rc;
    }
    aligned_buffer buf(std::size_t{shards} * m.block_size);
    for (const part_layout& p : m.parts) {
      const part_geometry g{p.info.size, m.k, m.block_size};
      const std::string name = layout::part_file(data, p.info.number);
      std::vector<std::unique_ptr<file>> sources(shards);
      for (std::uint32_t i = 0; i < shards; ++i) {
        const std::size_t d = m.disk_of_shard(i);
        if ((wanted & (shard_mask{1} << i)) || !r.data_present[d] || !set_->online(d)) continue;
        if (auto f = set_->disk_at(d).open_read(name); f) sources[i] = std::move(*f);
      }
      std::vector<std::unique_ptr<file>> sinks(shards);
      for (std::size_t d : data_targets) {
        auto f = set_->disk_at(d).create(layout::part_file(staging, p.info.number));
        if (!f) return f.error();
        sinks[m.shard_of_disk(static_cast<std::uint32_t>(d))] = std::move(*f);
      }
      for (std::uint64_t s = 0; s < g.stripes(); ++s) {
        const std::uint64_t len = g.block_length(s);
        std::vector<std::uint8_t*> ptrs(shards);
        shard_mask present = 0;
        std::uint32_t have = 0;
        for (std::uint32_t i = 0; i < shards; ++i) {
          ptrs[i] = reinterpret_cast<std::uint8_t*>(buf.data() + std::size_t{i} * m.block_size);
          if (have < m.k && sources[i] &&
              read_block(sources[i].get(), s * m.block_size,
                         {reinterpret_cast<std::byte*>(ptrs[i]), len},
                         p.block_checksums[s * shards + i])) {
            present |= shard_mask{1} << i;
            ++have;
          }
        }
        if (have < m.k) return make_error_code(errc::read_quorum_lost);
        if (auto rc = codec_->reconstruct(ptrs, present, wanted, len); !rc) return rc;
        for (std::uint32_t i = 0; i < shards; ++i) {
          if (!(wanted & (shard_mask{1} << i))) continue;
          if (XXH3_64bits(ptrs[i], len) != p.block_checksums[s * shards + i])
            return make_error_code(errc::corrupt);
          if (auto w =
                  sinks[i]->pwrite({reinterpret_cast<std::byte*>(ptrs[i]), len}, s * m.block_size);
              !w)
            return w;
        }
      }
      for (auto& f : sinks)
        if (f)
          if (auto sc = f->sync(); !sc) return sc;
    }
  }
  // Publish on the targets: data dir (replacing any bad one), then manifest.
  std::shared_lock gc_guard(publish_gc_mutex_);
  auto rs = set_->run_on(targets, [&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    const std::string dir = layout::object_dir(bucket, hash);
    if (auto rc = dk.make_dirs(dir); !rc) return rc;
    if (!m.inlined && rebuilds(d)) {
      if (auto rc = dk.sync_dir(staging); !rc) return rc;
      auto old = dk.rename(data, layout::trash_dir(layout::random_id()));
      if (!old && old.error() != std::errc::no_such_file_or_directory) return old;
      if (auto rc = dk.rename(staging, data); !rc) return rc;
    }
    crash_point("heal.after_data");
    manifest copy = m;
    copy.inline_shard =
        m.inlined ? inline_shards[m.shard_of_disk(static_cast<std::uint32_t>(d))] : std::string();
    const std::string bytes = encode_manifest(copy);
    const std::string tmp_meta = staging + ".meta";
    if (auto rc = dk.write_atomic(layout::manifest_path(bucket, hash), tmp_meta,
                                  std::as_bytes(std::span(bytes.data(), bytes.size())));
        !rc)
      return rc;
    if (auto rc = dk.sync_dir(dir); !rc) return rc;
    return dk.sync_dir(layout::kTmpDir);  // both renames came from staging
  });
  for (std::size_t d : targets)
    if (!rs[d]) return rs[d].error();
  return {};
}

result<object_health> store_impl::heal_object(std::string_view bucket, std::string_view key) {
  auto h = check_object(bucket, key, true);
  if (h && h->problem.empty()) dequeue_heal(bucket, key);
  return h;
}

result<object_health> store_impl::verify_object(std::string_view bucket, std::string_view key) {
  return check_object(bucket, key, false);
}

result<std::vector<object_health>> store_impl::heal_all(std::string_view bucket,
                                                        const progress_fn& progress,
                                                        const std::stop_token& stop) {
  std::vector<std::pair<std::string, std::string>> keys;
  if (auto r = index_->for_each_object(bucket,
                                       [&](const index_object& o) {
                                         keys.emplace_back(o.info.bucket, o.info.key);
                                         return true;
                                       });
      !r)
    return r.error();
  std::vector<object_health> out;
  std::uint64_t done = 0;
  for (const auto& [b, k] : keys) {
    if (stop.stop_requested()) break;
    auto h = heal_object(b, k);
    if (!h && h.error() != errc::object_not_found) return h.error();
    if (h && (h->shards_healed > 0 || !h->readable || !h->problem.empty()))
      out.push_back(std::move(*h));
    if (progress) progress(++done, keys.size());
  }
  return out;
}

result<std::uint64_t> store_impl::drain_heal_queue() {
  auto queue = index_->heal_queue(256);
  if (!queue) return queue.error();
  std::uint64_t healed = 0;
  for (const auto& [bucket, key] : *queue) {
    auto h = check_object(bucket, key, true);
    if (!h) {
      if (h.error() == errc::object_not_found) {
        // Remnants of a deleted object on disks that missed the delete.
        const std::string meta = layout::manifest_path(bucket, layout::key_hash(bucket, key));
        const std::string trash = layout::trash_dir(layout::random_id());
        set_->run_each(
            [&](std::size_t d) -> result<void> { return set_->disk_at(d).rename(meta, trash); });
        // An offline disk may hold some too: keep the entry until it is back.
        if (set_->online_count() == set_->size()) dequeue_heal(bucket, key);
      }
      continue;
    }
    healed += h->shards_healed > 0 ? 1 : 0;
    // Keep the entry while a disk is offline: it is healed when the disk returns.
    if (h->problem.empty() || !h->readable) dequeue_heal(bucket, key);
  }
  // A replaced disk is whole once the queue (persisted, so it outlives a
  // restart) holds nothing more for it.
  if (auto left = index_->heal_queue_size(); left && *left == 0)
    for (std::size_t d = 0; d < set_->size(); ++d)
      if (set_->online(d)) set_->at(d).needs_full_heal = false;
  return healed;
}

result<scrub_report> store_impl::scrub(const scrub_options& options, const progress_fn& progress) {
  scrub_report report;
  std::vector<std::tuple<std::string, std::string, std::uint64_t>> keys;
  if (auto r = index_->for_each_object("",
                                       [&](const index_object& o) {
                                         keys.emplace_back(o.info.bucket, o.info.key, o.info.size);
                                         return true;
                                       });
      !r)
    return r.error();
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t done = 0;
  std::mutex sleep_mu;  // the rate limit's sleep ends early on a stop request
  std::condition_variable_any sleep_cv;
  for (const auto& [bucket, key, size] : keys) {
    if (options.stop.stop_requested()) {
      report.stopped = true;
      return report;  // orphans are collected by a complete pass only
    }
    auto h = check_object(bucket, key, options.repair);
    if (!h) {
      if (h.error() != errc::object_not_found) return h.error();
    } else {
      ++report.objects_checked;
      report.bytes_checked += size * set_->size() / set_->geometry().k;
      if (h->shards_healed > 0) {
        ++report.objects_repaired;
        report.corrupt_blocks += static_cast<std::uint64_t>(h->shards_healed);
      } else if (!h->problem.empty() && h->readable && h->shards_ok < h->shards_total) {
        report.corrupt_blocks += static_cast<std::uint64_t>(h->shards_total - h->shards_ok);
      }
      if (!h->readable) ++report.objects_unrecoverable;
    }
    if (progress) progress(++done, keys.size());
    if (options.max_bytes_per_second > 0) {
      const auto due =
          start + std::chrono::duration<double>(static_cast<double>(report.bytes_checked) /
                                                options.max_bytes_per_second);
      std::unique_lock sleep_lock(sleep_mu);
      sleep_cv.wait_until(sleep_lock, options.stop, due, [] { return false; });
    }
  }
  auto orphans = collect_orphans(options);
  if (!orphans) return orphans.error();
  report.orphans_removed = *orphans;
  return report;
}

result<std::uint64_t> store_impl::collect_orphans(const scrub_options& options) {
  std::uint64_t removed = 0;
  const std::int64_t grace_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.orphan_grace).count();
  auto buckets = index_->list_buckets();
  if (!buckets) return buckets.error();
  for (std::size_t d = 0; d < set_->size(); ++d) {
    if (!set_->online(d)) continue;
    disk& dk = set_->disk_at(d);
    for (const bucket_info& b : *buckets) {
      for_each_object_dir(dk, b.name, [&](const std::string& dir, const std::string&) {
        std::unique_lock gc_guard(publish_gc_mutex_);
        auto meta = dk.read_whole(dir + "/" + std::string(layout::kManifestName));
        std::optional<manifest> current;
        if (meta)
          if (auto m = decode_manifest(*meta); m) current = std::move(*m);
        auto entries = dk.list(dir);
        if (!entries) return;
        for (const dir_entry& e : *entries) {
          if (!e.is_dir || !layout::is_hex_id(e.name)) continue;
          if (current &&
              (e.name == current->object.data_id ||
               pins_.pinned(version_id(current->object.bucket, current->object.key, e.name))))
            continue;
          if (!current && grace_ns > 0) continue;  // no manifest names the key: a later pass
          if (dk.rename(dir + "/" + e.name, layout::trash_dir(layout::random_id()))) ++removed;
        }
      });
    }
    // Uploads no index record knows, older than the grace period.
    auto uploads = dk.list(layout::kUploadsDir);
    if (!uploads) continue;
    for (const dir_entry& e : *uploads) {
      if (!layout::is_hex_id(e.name)) continue;
      auto text = dk.read_whole(layout::upload_manifest(e.name));
      std::string bucket, key;
      std::int64_t initiated = 0;
      if (text) {
        const auto j = nlohmann::json::parse(*text, nullptr, false);
        if (j.is_object()) {
          bucket = j.value("bucket", "");
          const std::string hex = j.value("key_hex", "");
          for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
            key.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
          initiated = j.value("initiated_ns", std::int64_t{0});
        }
      }
      if (now_ns() - initiated < grace_ns) continue;
      auto u = index_->get_upload(bucket, key, e.name);
      if (u && *u) continue;
      if (dk.rename(layout::upload_dir(e.name), layout::trash_dir(layout::random_id()))) ++removed;
    }
  }
  purge_trash();
  return removed;
}

std::vector<bucket_info> store_impl::buckets_on_disks() {
  std::vector<bucket_info> out;
  std::set<std::string> seen;
  for (std::size_t d = 0; d < set_->size(); ++d) {
    if (!set_->online(d)) continue;
    auto entries = set_->disk_at(d).list(layout::kBucketsDir);
    if (!entries) continue;
    for (const dir_entry& e : *entries) {
      if (seen.count(e.name) || !valid_bucket_name(e.name)) continue;
      auto text = set_->disk_at(d).read_whole(layout::bucket_marker(e.name));
      if (!text) continue;
      const auto j = nlohmann::json::parse(*text, nullptr, false);
      if (!j.is_object()) continue;
      out.push_back({e.name, j.value("created_ns", std::int64_t{0}), j.value("owner", "")});
      seen.insert(e.name);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> store_impl::keys_on_disks(
    const std::vector<bucket_info>& buckets) {
  std::set<std::pair<std::string, std::string>> seen;  // (bucket, hash)
  std::vector<std::pair<std::string, std::string>> keys;
  for (const bucket_info& b : buckets) {
    for (std::size_t d = 0; d < set_->size(); ++d) {
      if (!set_->online(d)) continue;
      disk& dk = set_->disk_at(d);
      for_each_object_dir(dk, b.name, [&](const std::string& dir, const std::string& hash) {
        if (seen.count({b.name, hash})) return;
        auto meta = dk.read_whole(dir + "/" + std::string(layout::kManifestName));
        if (!meta) return;  // another disk may still name it
        auto m = decode_manifest(*meta);
        if (!m) return;
        seen.emplace(b.name, hash);
        keys.emplace_back(b.name, m->object.key);
      });
    }
  }
  return keys;
}

result<std::uint64_t> store_impl::reindex(const progress_fn& progress) {
  if (auto r = index_->mark_complete(false); !r) return r.error();
  if (auto r = index_->clear_objects(); !r) return r.error();
  ledger_.clear_objects();
  // Buckets: every marker any disk holds.
  const std::vector<bucket_info> buckets = buckets_on_disks();
  std::set<std::string> bucket_names;
  for (const bucket_info& b : buckets) {
    if (auto r = index_->put_bucket(b); !r) return r.error();
    bucket_names.insert(b.name);
  }
  // Objects: every object directory on any disk, resolved across all disks.
  const std::vector<std::pair<std::string, std::string>> keys = keys_on_disks(buckets);
  std::uint64_t objects = 0, done = 0;
  for (const auto& [bucket, key] : keys) {
    std::lock_guard key_guard(key_lock(bucket, key));
    auto o = repair_key(bucket, key, 0);
    if (!o) return o.error();
    objects += *o ? 1 : 0;
    if (progress) progress(++done, keys.size());
  }
  // Uploads in progress (their parts are recorded only in the index and are lost).
  for (std::size_t d = 0; d < set_->size(); ++d) {
    if (!set_->online(d)) continue;
    auto uploads = set_->disk_at(d).list(layout::kUploadsDir);
    if (!uploads) continue;
    for (const dir_entry& e : *uploads) {
      if (!layout::is_hex_id(e.name)) continue;
      auto text = set_->disk_at(d).read_whole(layout::upload_manifest(e.name));
      if (!text) continue;
      const auto j = nlohmann::json::parse(*text, nullptr, false);
      if (!j.is_object()) continue;
      upload_info u;
      u.bucket = j.value("bucket", "");
      const std::string hex = j.value("key_hex", "");
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        u.key.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      u.upload_id = e.name;
      u.initiated_ns = j.value("initiated_ns", std::int64_t{0});
      if (!bucket_names.count(u.bucket)) continue;
      if (auto r = index_->put_upload(u); !r) return r.error();
    }
  }
  // Usage and recency follow the rebuilt index.
  if (auto r = rebuild_ledger(); !r) return r.error();
  if (auto r = index_->mark_complete(true); !r) return r.error();
  return objects;
}

result<reconcile_report> store_impl::reconcile_index(const progress_fn& progress,
                                                     const std::stop_token& stop) {
  reconcile_report report;
  // Buckets: a marker on any disk the index lacks (no bucket is created or
  // deleted meanwhile). Buckets only the index knows stay: markers can be lost.
  std::vector<bucket_info> buckets;
  {
    std::unique_lock bucket_guard(bucket_mutex_);
    buckets = buckets_on_disks();
    for (const bucket_info& b : buckets) {
      auto known = index_->get_bucket(b.name);
      if (!known) return known.error();
      if (*known) continue;
      if (auto r = index_->put_bucket(b); !r) return r.error();
      ++report.buckets_added;
    }
  }
  // Keys: every object directory's manifest on any disk, then the index's
  // keys the disks did not show.
  std::set<std::pair<std::string, std::string>> keys;  // (bucket, key)
  for (auto& k : keys_on_disks(buckets)) keys.insert(std::move(k));
  if (auto r = index_->for_each_object("",
                                       [&](const index_object& o) {
                                         keys.emplace(o.info.bucket, o.info.key);
                                         return true;
                                       });
      !r)
    return r.error();
  std::uint64_t done = 0;
  for (const auto& [bucket, key] : keys) {
    if (stop.stop_requested()) {
      report.stopped = true;
      break;
    }
    // The locks every publish and delete of the key takes: the index and the
    // disks do not change under us.
    std::shared_lock bucket_guard(bucket_mutex_);
    std::lock_guard key_guard(key_lock(bucket, key));
    auto current = index_->get_object(bucket, key);
    if (!current) return current.error();
    const std::string_view named = *current ? std::string_view((*current)->info.data_id) : "";
    auto resolved = resolve(bucket, key, named);
    if (!resolved) return resolved.error();
    ++report.objects_checked;
    // With a disk offline its copies are not seen: an entry the online disks
    // do not show is left alone rather than dropped.
    const bool agree = *resolved ? (*current && (*resolved)->best.object.data_id == named)
                                 : (!*current || set_->online_count() < set_->size());
    if (!agree) {
      auto repaired = repair_key(bucket, key, 0);
      if (!repaired) return repaired.error();
      if (!*current)
        ++report.index_added;
      else if (!*repaired)
        ++report.index_removed;
      else
        ++report.index_updated;
      spdlog::info("reconcile: {}/{}: index {} (disks: {})", bucket, key,
                   *current ? (*current)->info.data_id : std::string("had nothing"),
                   *repaired ? (*repaired)->info.data_id : std::string("nothing"));
    }
    if (progress) progress(++done, keys.size());
  }
  return report;
}

result<store_info> store_impl::info() {
  store_info out;
  out.deployment_id = set_->deployment_id();
  out.k = static_cast<int>(set_->geometry().k);
  out.m = static_cast<int>(set_->geometry().m);
  out.block_size = set_->geometry().block_size;
  for (std::size_t d = 0; d < set_->size(); ++d) {
    disk_set::slot& s = set_->at(d);
    disk_status st;
    st.path = s.d->root();
    st.disk_id = s.disk_id;
    st.set_index = static_cast<int>(d);
    st.online = s.online;
    st.state = !s.online ? "offline" : (s.needs_full_heal ? "healing" : "ok");
    if (s.online) {
      if (auto u = s.d->usage(); u) {
        st.total_bytes = u->total_bytes;
        st.free_bytes = u->free_bytes;
      }
    }
    out.disks.push_back(std::move(st));
  }
  const usage_totals usage = ledger_.node_usage();
  out.objects = usage.objects;
  out.logical_bytes = usage.logical_bytes;
  if (auto b = index_->list_buckets(); b) out.buckets = b->size();
  if (auto q = index_->heal_queue_size(); q) out.heal_queue = *q;
  out.degraded_reads = degraded_reads_;
  out.healed_objects = healed_objects_;
  out.bitrot_detected = bitrot_detected_;
  out.bitrot_repaired = bitrot_repaired_;
  return out;
}

}  // namespace kvgate::erasure
