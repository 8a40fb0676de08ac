// The engine's implementation of kvgate::erasure::store. Split across files by
// concern: store_open.cc (open, recovery), store_buckets.cc, store_put.cc,
// store_read.cc, store_multipart.cc, store_resolve.cc (truth from the disks),
// store_heal.cc (heal, verify, scrub, reindex). Protocol steps and crash points
// are specified in docs/formats/erasure-layout.md.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "cache_ledger.h"
#include "disk_set.h"
#include "evictor.h"
#include "kvgate/erasure/codec.h"
#include "kvgate/erasure/store.h"
#include "manifest.h"
#include "manifest_cache.h"
#include "object_index.h"
#include "version_pins.h"

namespace kvgate::erasure {

// What the disks say about one key.
struct resolved_object {
  manifest best;                           // the chosen version (inline_shard of one copy)
  std::vector<bool> meta_ok;               // per set disk: holds a valid meta of `best`
  std::vector<bool> data_present;          // per set disk: holds best's data dir (or inline meta)
  std::vector<std::string> inline_shards;  // per shard, when inlined
  std::size_t readable_copies = 0;
};

class store_impl final : public store {
 public:
  store_impl(store_options options, std::unique_ptr<disk_set> set, std::shared_ptr<const codec> c,
             std::unique_ptr<object_index> index);
  ~store_impl() override;

  result<void> recover();
  void start_background();

  // store
  result<bucket_info> create_bucket(std::string_view name, std::string_view owner) override;
  result<void> delete_bucket(std::string_view name) override;
  result<bucket_info> head_bucket(std::string_view name) override;
  result<bucket_info> head_bucket_cached(std::string_view name) override;
  result<std::vector<bucket_info>> list_buckets() override;
  result<std::unique_ptr<put_writer>> begin_put(std::string_view bucket, std::string_view key,
                                                put_options options) override;
  result<object_info> head(std::string_view bucket, std::string_view key) override;
  result<object_info> head_cached(std::string_view bucket, std::string_view key) override;
  result<std::unique_ptr<object_reader>> open_read(std::string_view bucket, std::string_view key,
                                                   std::optional<byte_range> range) override;
  result<void> remove(std::string_view bucket, std::string_view key) override;
  result<list_result> list(std::string_view bucket, const list_params& params) override;
  result<upload_info> create_upload(std::string_view bucket, std::string_view key,
                                    object_attrs attrs, std::string checksum_algorithm,
                                    std::string checksum_type) override;
  result<upload_info> get_upload(std::string_view bucket, std::string_view key,
                                 std::string_view upload_id) override;
  result<std::unique_ptr<part_writer>> begin_part(std::string_view bucket, std::string_view key,
                                                  std::string_view upload_id, int part_number,
                                                  std::optional<std::uint64_t> size) override;
  result<list_parts_result> list_parts(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id, int part_number_marker,
                                       int max_parts) override;
  result<list_uploads_result> list_uploads(std::string_view bucket,
                                           const list_uploads_params& params) override;
  result<object_info> complete_upload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id,
                                      const std::vector<completed_part>& parts, std::string etag,
                                      s3_checksum checksum,
                                      const commit_conditions& conditions) override;
  result<void> abort_upload(std::string_view bucket, std::string_view key,
                            std::string_view upload_id) override;
  result<store_info> info() override;
  result<object_health> heal_object(std::string_view bucket, std::string_view key) override;
  result<std::vector<object_health>> heal_all(std::string_view bucket, const progress_fn& progress,
                                              const std::stop_token& stop) override;
  result<object_health> verify_object(std::string_view bucket, std::string_view key) override;
  result<scrub_report> scrub(const scrub_options& options, const progress_fn& progress) override;
  result<std::uint64_t> reindex(const progress_fn& progress) override;
  result<reconcile_report> reconcile_index(const progress_fn& progress,
                                           const std::stop_token& stop) override;
  result<std::uint64_t> drain_heal_queue() override;
  result<void> check_write(std::string_view bucket, std::string_view key,
                           std::uint64_t bytes) override;
  result<void> set_capacity(capacity_config config) override;
  void set_bucket_policy(std::string_view bucket, std::optional<bucket_policy> policy) override;
  capacity_config capacity() override;
  capacity_report capacity_usage() override;
  result<std::uint64_t> evict_now() override;
  result<std::optional<std::string>> get_setting(std::string_view name) override;
  result<void> put_setting(std::string_view name, std::optional<std::string_view> value) override;

  // Internal API for writers and readers.
  disk_set& disks() noexcept { return *set_; }
  const codec& erasure_codec() const noexcept { return *codec_; }
  const store_options& options() const noexcept { return options_; }
  object_index& index() noexcept { return *index_; }
  std::int64_t now_ns() const;
  // Write order of versions: strictly increasing within a store's life and,
  // through note_seq() at open, across restarts whatever the wall clock does.
  std::uint64_t next_seq() noexcept { return seq_.fetch_add(1); }
  // Makes every later next_seq() exceed `seen` (a version already written).
  void note_seq(std::uint64_t seen) noexcept;
  std::uint32_t rotation_for(std::string_view hash) const noexcept;
  std::mutex& key_lock(std::string_view bucket, std::string_view key) noexcept;
  std::shared_mutex& bucket_lock() noexcept { return bucket_mutex_; }
  void crash_point(std::string_view name) const;
  void note_degraded_read() noexcept { ++degraded_reads_; }
  void note_bitrot(std::uint64_t shards) noexcept { bitrot_detected_ += shards; }

  // Publishes `m` (new current version of m.object.bucket/key) on every online
  // disk: puts the data dir in place, writes and syncs the manifest and the
  // object directory. Returns per-disk success.
  // Caller holds the key lock and an intent.
  // `place(d, object_dir)` puts the version's data dir in place on disk d.
  // `previous` is the version being replaced (from the index), if any.
  std::vector<bool> publish(
      const manifest& m, const std::function<result<void>(std::size_t, const std::string&)>& place,
      const std::vector<std::string>* inline_shards, const std::optional<index_object>& previous);
  // After a successful publish: update index, counters, cache; retire the previous version.
  // `room`: the write's reservation, turned into usage when the index is updated.
  result<object_info> finish_publish(manifest m, const std::optional<index_object>& previous,
                                     std::uint64_t intent, const std::vector<bool>& ok,
                                     cache_ledger::reservation* room = nullptr);
  // Moves an old version's data dir to trash once no reader pins it.
  void retire_version(const std::string& bucket, const std::string& key,
                      const std::string& data_id);
  // Re-resolves a key from the disks and makes the index agree (crash repair).
  result<std::optional<index_object>> repair_key(std::string_view bucket, std::string_view key,
                                                 std::uint64_t intent);
  // Reads what the disks hold for a key.
  // `live_data_id`: a version the index names with no write in flight; it is
  // known not to be a deleted leftover, so it needs only k readable copies.
  result<std::optional<resolved_object>> resolve(std::string_view bucket, std::string_view key,
                                                 std::string_view live_data_id = {});
  // Manifest (and inline shards) of the version the index names.
  result<std::shared_ptr<const cached_manifest>> load_manifest(const index_object& o);
  // Persists a heal request. Repeated requests for a key already queued by this
  // process are not written again (a degraded read would otherwise pay a synced
  // index write per GET).
  void queue_heal(std::string_view bucket, std::string_view key, std::string_view reason);
  void dequeue_heal(std::string_view bucket, std::string_view key);
  version_pins& pins() noexcept { return pins_; }
  static std::string version_id(std::string_view bucket, std::string_view key,
                                std::string_view data_id) {
    return manifest_cache::id(bucket, key, data_id);
  }
  result<void> check_bucket(std::string_view bucket);
  // Removes the current version `previous` of a key (DeleteObject, eviction).
  // Caller holds the bucket lock shared and the key lock.
  result<void> remove_locked(std::string_view bucket, std::string_view key,
                             const index_object& previous);

  // Cache tier (store_cache.cc). The ledger mirrors every index object record
  // change (callers hold the key lock).
  void ledger_put(const object_info& now, const std::optional<index_object>& previous,
                  std::int64_t access_ns, cache_ledger::reservation* room = nullptr);
  void ledger_remove(const index_object& previous);
  void ledger_touch(std::string_view bucket, std::string_view key);
  // Rebuilds usage and recency from the index (open, reindex).
  result<void> rebuild_ledger();
  // Admits a write of `bytes` to bucket/key, evicting inline when needed;
  // empty reservation when no limit is set. Blocking; no locks held.
  result<cache_ledger::reservation> admit_write(std::string_view bucket, std::string_view key,
                                                std::uint64_t bytes);
  // Sum of the listed parts' sizes of an upload (0 for parts it cannot find).
  std::uint64_t upload_bytes(std::string_view upload_id, const std::vector<completed_part>& parts);

 private:
  result<object_health> check_object(std::string_view bucket, std::string_view key, bool repair);
  result<void> rebuild_disks(const resolved_object& r, const std::vector<std::size_t>& targets);
  result<std::uint64_t> collect_orphans(const scrub_options& options);
  void background_loop(std::stop_token stop);
  // Probes the offline disks that are due (disk_set::try_return); a replaced
  // disk gets every object queued for heal. Background thread only.
  void probe_offline_disks();
  // Queues every object for heal (a replaced disk).
  result<void> queue_full_heal(std::string_view why);
  void purge_trash();
  enum class eviction_outcome { evicted, pinned, changed };
  // Evicts the candidate's version if it is still current and no reader holds it.
  result<eviction_outcome> evict_version(const eviction_candidate& c);
  // Evicts least recently used objects until `need` is met; returns objects evicted.
  std::uint64_t relieve(const eviction_need& need, bool inline_eviction,
                        const std::stop_token& stop);
  struct eviction_pass_result {
    bool done = true;  // every scope is under its high watermark
    std::uint64_t evicted = 0;
  };
  eviction_pass_result eviction_pass(const std::stop_token& stop);
  // Every bucket marker an online disk holds (reindex, reconcile_index).
  std::vector<bucket_info> buckets_on_disks();
  // (bucket, key) named by a readable manifest in any online disk's object
  // directories of these buckets, once per object directory.
  std::vector<std::pair<std::string, std::string>> keys_on_disks(
      const std::vector<bucket_info>& buckets);
  object_footprint footprint(const object_info& o) const noexcept;

  store_options options_;
  std::unique_ptr<disk_set> set_;
  std::shared_ptr<const codec> codec_;
  std::unique_ptr<object_index> index_;
  manifest_cache cache_;
  version_pins pins_;
  std::array<std::mutex, 1024> key_locks_;
  std::shared_mutex bucket_mutex_;
  // One eviction pass at a time: the background evictor's and evict_now()'s
  // (which so returns only when no pass is running and the pressure is met).
  // Admission's inline relief does not take it: a writer never waits on a pass.
  std::mutex eviction_pass_mu_;
  // Held shared by publish and exclusively by scrub's orphan collection, so a
  // data dir renamed into place is never mistaken for an orphan before its
  // manifest lands.
  std::shared_mutex publish_gc_mutex_;
  std::atomic<std::uint64_t> seq_{1};
  cache_ledger ledger_;
  std::atomic<std::uint64_t> degraded_reads_{0};
  std::atomic<std::uint64_t> healed_objects_{0};
  std::atomic<std::uint64_t> bitrot_detected_{0};
  std::atomic<std::uint64_t> bitrot_repaired_{0};
  std::mutex queued_mu_;
  std::unordered_set<std::string> queued_;  // keys this process put in the heal queue
  std::mutex wake_mu_;
  std::condition_variable_any wake_;
  struct disk_probe {
    std::chrono::steady_clock::time_point next{};  // zero: not offline when last looked
    std::chrono::milliseconds interval{0};
  };
  std::vector<disk_probe> probes_;  // per disk; background thread only
  std::jthread background_;
  // Destroyed first (see ~store_impl): its pass calls into everything above.
  std::unique_ptr<evictor> evictor_;
};

// Checks S3 bucket naming rules (3-63 chars, lowercase letters, digits, '.',
// '-', starting and ending with a letter or digit, no "..", not an IP address).
bool valid_bucket_name(std::string_view name) noexcept;
// Keys: 1..1024 bytes, no NUL.
bool valid_key(std::string_view key) noexcept;

}  // namespace kvgate::erasure
