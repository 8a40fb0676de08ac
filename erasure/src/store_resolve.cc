// Truth from the disks: which version of a key the manifests on the disks make
// current (docs/formats/erasure-layout.md, "Read resolution"), and repairing the
// index to agree with it after a crash or a failed write.
#include <spdlog/spdlog.h>

#include <map>

#include "geometry.h"
#include "layout.h"
#include "store_impl.h"

namespace kvgate::erasure {

result<std::optional<resolved_object>> store_impl::resolve(std::string_view bucket,
                                                           std::string_view key,
                                                           std::string_view live_data_id) {
  const std::size_t n = set_->size();
  const std::string hash = layout::key_hash(bucket, key);
  const std::string path = layout::manifest_path(bucket, hash);
  std::vector<std::optional<manifest>> copies(n);
  auto answers = set_->run_each([&](std::size_t d) -> result<void> {
    auto bytes = set_->disk_at(d).read_whole(path);
    if (!bytes) {
      // A missing manifest is an answer; a failing or offline disk is not.
      if (bytes.error() == std::errc::no_such_file_or_directory) return {};
      return bytes.error();
    }
    auto m = decode_manifest(*bytes);
    if (!m) return {};  // a bad copy: this disk holds no valid version
    if (m->object.bucket == bucket && m->object.key == key) copies[d] = std::move(*m);
    return {};
  });
  // An acknowledged version is on at least write_quorum disks. Unless enough
  // disks answered that it still shows on k of them, the disks cannot tell
  // which version is current (or whether the key exists): refuse to decide
  // rather than let a repair forget an acknowledged write.
  std::size_t answered = 0;
  for (const auto& a : answers) answered += a ? 1 : 0;
  const set_geometry& g = set_->geometry();
  if (answered < g.k + n - set_->write_quorum()) return make_error_code(errc::read_quorum_lost);
  // Candidate versions by data id: every disk's manifest, and the inlined
  // version an interrupted overwrite may have left only inside new manifests.
  std::vector<std::vector<manifest>> held(n);
  for (std::size_t d = 0; d < n; ++d) {
    if (!copies[d]) continue;
    if (!copies[d]->prev.empty()) {
      auto prev = decode_manifest(copies[d]->prev);
      if (prev && prev->inlined && prev->object.bucket == bucket && prev->object.key == key &&
          prev->object.data_id != copies[d]->object.data_id)
        held[d].push_back(std::move(*prev));
    }
    held[d].push_back(std::move(*copies[d]));
  }
  std::map<std::string, std::vector<std::pair<std::size_t, const manifest*>>> by_version;
  for (std::size_t d = 0; d < n; ++d)
    for (const manifest& m : held[d]) by_version[m.object.data_id].emplace_back(d, &m);
  if (by_version.empty()) return std::optional<resolved_object>();

  std::optional<resolved_object> best;
  for (const auto& [data_id, holders] : by_version) {
    const manifest& m = *holders.front().second;
    resolved_object r;
    r.meta_ok.assign(n, false);
    r.data_present.assign(n, false);
    for (const auto& [d, copy] : holders) r.meta_ok[d] = copy == &held[d].back();
    if (m.inlined) {
      r.inline_shards.resize(m.shard_count());
      for (const auto& [d, copy] : holders) {
        r.data_present[d] = true;
        r.inline_shards[m.shard_of_disk(static_cast<std::uint32_t>(d))] = copy->inline_shard;
      }
    } else {
      // A disk holds this version's data only if every part file is there at
      // its full length: a data directory alone (say, re-created empty by a
      // crash in the middle of a rename) proves nothing.
      const std::string data = layout::data_dir(bucket, hash, data_id);
      std::vector<char> present(n, 0);
      set_->run_each([&](std::size_t d) -> result<void> {
        for (const part_layout& p : m.parts) {
          auto f = set_->disk_at(d).open_read(layout::part_file(data, p.info.number));
          if (!f) return {};
          auto size = (*f)->size();
          if (!size || *size != part_geometry{p.info.size, m.k, m.block_size}.shard_file_size())
            return {};
        }
        present[d] = 1;
        return {};
      });
      for (std::size_t d = 0; d < n; ++d) r.data_present[d] = present[d] != 0;
    }
    for (std::size_t d = 0; d < n; ++d) r.readable_copies += r.data_present[d] ? 1 : 0;
    const std::size_t needed = m.object.size == 0 ? 1 : m.k;
    if (r.readable_copies < needed) continue;
    // An acknowledged delete leaves at most n - write_quorum manifest copies
    // (and, until retired, every data dir): that is not a live version.
    if (holders.size() < n - set_->write_quorum() + 1 && data_id != live_data_id) continue;
    r.best = m;
    r.best.inline_shard.clear();
    r.best.prev.clear();
    // The version written last wins: seq is the write order (next_seq()),
    // mtime is the wall clock, which may have been set back in between.
    note_seq(m.seq);
    if (!best ||
        std::pair(m.seq, m.object.mtime_ns) > std::pair(best->best.seq, best->best.object.mtime_ns))
      best = std::move(r);
  }
  return best;
}

result<std::optional<index_object>> store_impl::repair_key(std::string_view bucket,
                                                           std::string_view key,
                                                           std::uint64_t intent) {
  auto previous = index_->get_object(bucket, key);
  if (!previous) return previous.error();
  // The version the index names is the last decision made for the key, so it
  // stays a candidate even when a failed overwrite or delete left fewer than
  // n - W + 1 of its manifests; a newer candidate still wins.
  auto resolved =
      resolve(bucket, key, *previous ? std::string_view((*previous)->info.data_id) : "");
  if (!resolved) return resolved.error();
  if (!*resolved) {
    if (auto r = index_->delete_object(bucket, key, intent); !r) return r.error();
    if (*previous) ledger_remove(**previous);
    return std::optional<index_object>();
  }
  const resolved_object& r = **resolved;
  std::size_t full = 0;
  for (std::size_t d = 0; d < r.meta_ok.size(); ++d) full += (r.meta_ok[d] && r.data_present[d]);
  // Make the decision durable before the intent goes. The disks may have
  // chosen a failed write that reached few of them, or kept the index's
  // version with copies taken away: left like that, the next failure could
  // take it below the candidate rules and bring an older version back after
  // this one was served. Written to every online disk, it is as safe as an
  // acknowledged write. If that fails, the intent stays and start-up replays it.
  std::uint64_t settled = intent;
  if (full < set_->write_quorum()) {
    std::vector<std::size_t> targets;
    for (std::size_t d = 0; d < r.meta_ok.size(); ++d)
      if (!(r.meta_ok[d] && r.data_present[d]) && set_->online(d)) targets.push_back(d);
    auto rebuilt = rebuild_disks(r, targets);
    if (rebuilt && full + targets.size() >= set_->write_quorum()) {
      full += targets.size();
    } else {
      spdlog::warn("repair of {}/{} kept its intent: the chosen version is on {} disks ({})",
                   bucket, key, full, rebuilt ? "too few online" : rebuilt.error().message());
      settled = 0;
    }
  }
  index_object o{r.best.object, r.best.seq};
  if (auto w = index_->put_object(o, settled); !w) return w.error();
  ledger_put(o.info, *previous, o.info.mtime_ns);
  if (full < set_->size()) queue_heal(bucket, key, "repair found missing copies");
  return std::optional<index_object>(std::move(o));
}

}  // namespace kvgate::erasure
