// The erasure-coded object store of one node: the only way kvgate stores bytes.
//
// A store owns an ordered set of disks forming one erasure set of k data and m
// parity shards (k + m = number of disks), an ordered index (RocksDB) derived
// from the per-disk manifests, a persisted heal queue and an in-memory manifest
// cache. Formats: docs/formats/erasure-layout.md.
//
// Durability contract: a call that returns success (put commit, complete,
// delete) has reached the write quorum (every online disk, never fewer than
// min(k + 1, k + m)) with data and metadata fsynced. A crash at any point leaves
// either the previous state or the new one, never a mix.
//
// Thread safety: every member function may be called concurrently from any
// thread. Calls block on disk I/O: the gateway runs them off its network
// threads. Writers and readers are used by one thread at a time each.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/erasure/capacity.h"
#include "kvgate/erasure/disk.h"
#include "kvgate/erasure/object.h"
#include "kvgate/erasure/result.h"

namespace kvgate::erasure {

inline constexpr std::size_t kMaxKeyBytes = 1024;
inline constexpr int kMaxPartNumber = 10000;
inline constexpr std::uint64_t kMinPartBytes = 5ull << 20;

// Where the engine may be told to stop dead, for crash-consistency tests.
// Called with a stable name (e.g. "put.after_meta_rename"; full list in
// docs/formats/erasure-layout.md, "Crash points"). Production passes nothing.
using crash_hook = std::function<void(std::string_view point)>;

struct store_options {
  // Disk directories in set order. Created if missing.
  std::vector<std::filesystem::path> disk_paths;
  // Alternatively, ready-made disks (tests inject faulty_disk here). When
  // non-empty, disk_paths is ignored.
  std::vector<std::shared_ptr<disk>> disks;
  int parity = -1;                        // -1: default_parity(disk count)
  std::size_t block_size = 128 * 1024;    // shard block; power of two, 64 KiB..1 MiB
  std::size_t inline_limit = 128 * 1024;  // objects up to this size live in the manifests
  std::filesystem::path index_dir;        // empty: <first disk>/.kvgate/index
  std::size_t manifest_cache_entries = 65536;
  std::size_t io_threads = 0;   // 0: one per disk
  bool background_heal = true;  // drain the heal queue in a background thread
  // With background_heal: an offline disk is probed this long after it went
  // offline, then at doubling intervals up to disk_probe_max; a disk that
  // works again is back in use at once (docs/operations.md, "Replacing a disk").
  std::chrono::milliseconds disk_probe_first{5000};
  std::chrono::milliseconds disk_probe_max{60000};
  std::function<std::int64_t()> clock_ns;  // empty: system_clock
  // Cache tier: limits, watermarks, bucket policies (capacity.h, docs/cache.md).
  // background_eviction is read here only; the rest can change at run time.
  capacity_config capacity;
  crash_hook on_crash_point;  // tests only
};

// Receives an object's bytes in order, then commits them atomically.
// Destroying a writer without a successful commit discards everything it wrote.
class object_writer {
 public:
  virtual ~object_writer() = default;
  // Appends bytes. Fails with errc::long_body past a declared size, or with a
  // disk error that leaves fewer than the write quorum.
  [[nodiscard]] virtual result<void> write(std::span<const std::byte> data) = 0;
  // Bytes accepted so far.
  virtual std::uint64_t bytes_written() const noexcept = 0;
};

// Writer for PutObject. commit() publishes the object.
class put_writer : public object_writer {
 public:
  // etag: quoted ETag the gateway computed; checksum: validated S3 checksum.
  // Fails with errc::short_body if a declared size was not reached, and with
  // errc::precondition_failed when `conditions` (evaluated atomically under the
  // key lock) do not hold.
  [[nodiscard]] virtual result<object_info> commit(std::string etag, s3_checksum checksum,
                                                   const commit_conditions& conditions) = 0;
};

// Writer for UploadPart. commit() makes the part visible to ListParts and
// CompleteMultipartUpload (replacing an earlier upload of the same number).
class part_writer : public object_writer {
 public:
  [[nodiscard]] virtual result<part_info> commit(std::string etag, s3_checksum checksum) = 0;
};

// Reads one object version (or a byte range of it) sequentially. The version is
// pinned when the reader opens: an overwrite or delete during the read does not
// change what it returns.
class object_reader {
 public:
  virtual ~object_reader() = default;
  virtual const object_info& info() const noexcept = 0;
  // Bytes this reader will produce in total (range length or object size).
  virtual std::uint64_t length() const noexcept = 0;
  // Fills buf with the next bytes; returns 0 at the end. Every byte returned has
  // been verified against its block checksum (or rebuilt and verified).
  // Fails with errc::read_quorum_lost when more than m shards are bad.
  [[nodiscard]] virtual result<std::size_t> read(std::span<std::byte> buf) = 0;
  // True once a read had to rebuild data from parity.
  virtual bool degraded() const noexcept = 0;
};

struct put_options {
  std::optional<std::uint64_t> size;  // declared length; empty = until commit (aws-chunked)
  object_attrs attrs;
};

struct disk_status {
  std::filesystem::path path;
  std::string disk_id;
  int set_index = 0;
  bool online = true;
  std::string state;  // "ok", "offline", "healing", "unformatted"
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;
};

struct store_info {
  std::string deployment_id;
  int k = 0;
  int m = 0;
  std::size_t block_size = 0;
  std::vector<disk_status> disks;
  std::uint64_t objects = 0;
  std::uint64_t logical_bytes = 0;
  std::uint64_t buckets = 0;
  std::uint64_t heal_queue = 0;
  std::uint64_t degraded_reads = 0;
  std::uint64_t healed_objects = 0;
  // Bitrot: shard files whose bytes failed a block checksum although they
  // read back in full, found by reads (each queues its object for heal) and
  // rewritten by heal. Counted once per shard and part per read / heal.
  std::uint64_t bitrot_detected = 0;
  std::uint64_t bitrot_repaired = 0;
};

// What a heal or verify pass found for one object.
struct object_health {
  std::string bucket;
  std::string key;
  int shards_total = 0;
  int shards_ok = 0;      // shards present with matching checksums and manifest
  int shards_healed = 0;  // shards rewritten by this pass
  bool readable = true;   // at least k good shards in every stripe
  std::string problem;    // human-readable summary; empty when healthy
};

struct scrub_options {
  double max_bytes_per_second = 0;  // 0: unlimited
  std::chrono::seconds orphan_grace{3600};
  bool repair = true;
  // Requested stop (a running server's shutdown, the admin API's DELETE of a
  // job): the walk ends after the object in hand and orphans are not collected.
  std::stop_token stop;
};

struct scrub_report {
  std::uint64_t objects_checked = 0;
  std::uint64_t bytes_checked = 0;
  std::uint64_t corrupt_blocks = 0;
  std::uint64_t objects_repaired = 0;
  std::uint64_t objects_unrecoverable = 0;
  std::uint64_t orphans_removed = 0;
  bool stopped = false;  // ended early by scrub_options::stop
};

// What reconcile_index() found: keys whose index entry disagreed with the
// disks and was set right.
struct reconcile_report {
  std::uint64_t objects_checked = 0;  // keys on the disks or in the index
  std::uint64_t index_added = 0;      // on the disks, missing from the index
  std::uint64_t index_updated = 0;    // the index named another version than the disks
  std::uint64_t index_removed = 0;    // in the index, on no disk
  std::uint64_t buckets_added = 0;    // a disk's bucket marker the index lacked
  bool stopped = false;               // ended early by the stop token
};

// Progress callback for long maintenance operations: (done, total) in objects.
using progress_fn = std::function<void(std::uint64_t done, std::uint64_t total)>;

class store {
 public:
  // Opens (formatting empty disks on first use) and recovers: cleans staging,
  // replays index intents, loads the heal queue, detects replaced disks.
  [[nodiscard]] static result<std::unique_ptr<store>> open(store_options options);
  virtual ~store() = default;

  // Buckets. Names follow S3's rules (3-63 chars, lowercase, digits, '.', '-').
  [[nodiscard]] virtual result<bucket_info> create_bucket(std::string_view name,
                                                          std::string_view owner) = 0;
  [[nodiscard]] virtual result<void> delete_bucket(std::string_view name) = 0;
  [[nodiscard]] virtual result<bucket_info> head_bucket(std::string_view name) = 0;
  // head_bucket() from memory only; errc::would_block when it needs disk I/O.
  [[nodiscard]] virtual result<bucket_info> head_bucket_cached(std::string_view name) = 0;
  [[nodiscard]] virtual result<std::vector<bucket_info>> list_buckets() = 0;

  // Objects.
  [[nodiscard]] virtual result<std::unique_ptr<put_writer>> begin_put(std::string_view bucket,
                                                                      std::string_view key,
                                                                      put_options options) = 0;
  [[nodiscard]] virtual result<object_info> head(std::string_view bucket, std::string_view key) = 0;
  // head() from memory only (the index's memtables and block cache), never
  // blocking on disk: errc::would_block when the answer needs I/O, then call
  // head() on a blocking thread. Safe on network threads.
  [[nodiscard]] virtual result<object_info> head_cached(std::string_view bucket,
                                                        std::string_view key) = 0;
  // range must lie within the object (the gateway clamps); empty = whole object.
  [[nodiscard]] virtual result<std::unique_ptr<object_reader>> open_read(
      std::string_view bucket, std::string_view key, std::optional<byte_range> range) = 0;
  // Succeeds if the key does not exist (S3 semantics).
  [[nodiscard]] virtual result<void> remove(std::string_view bucket, std::string_view key) = 0;
  [[nodiscard]] virtual result<list_result> list(std::string_view bucket,
                                                 const list_params& params) = 0;

  // Multipart uploads.
  [[nodiscard]] virtual result<upload_info> create_upload(std::string_view bucket,
                                                          std::string_view key, object_attrs attrs,
                                                          std::string checksum_algorithm,
                                                          std::string checksum_type) = 0;
  [[nodiscard]] virtual result<upload_info> get_upload(std::string_view bucket,
                                                       std::string_view key,
                                                       std::string_view upload_id) = 0;
  [[nodiscard]] virtual result<std::unique_ptr<part_writer>> begin_part(
      std::string_view bucket, std::string_view key, std::string_view upload_id, int part_number,
      std::optional<std::uint64_t> size) = 0;
  [[nodiscard]] virtual result<list_parts_result> list_parts(std::string_view bucket,
                                                             std::string_view key,
                                                             std::string_view upload_id,
                                                             int part_number_marker,
                                                             int max_parts) = 0;
  [[nodiscard]] virtual result<list_uploads_result> list_uploads(
      std::string_view bucket, const list_uploads_params& params) = 0;
  // Publishes the listed parts as one object without copying data. etag is the
  // multipart ETag the gateway computed; checksum the combined checksum (if any).
  // Completing an already completed upload with the same parts returns the
  // object again.
  [[nodiscard]] virtual result<object_info> complete_upload(
      std::string_view bucket, std::string_view key, std::string_view upload_id,
      const std::vector<completed_part>& parts, std::string etag, s3_checksum checksum,
      const commit_conditions& conditions) = 0;
  [[nodiscard]] virtual result<void> abort_upload(std::string_view bucket, std::string_view key,
                                                  std::string_view upload_id) = 0;

  // Maintenance.
  [[nodiscard]] virtual result<store_info> info() = 0;
  [[nodiscard]] virtual result<object_health> heal_object(std::string_view bucket,
                                                          std::string_view key) = 0;
  // Heals every object of a bucket (empty = all buckets); `stop` ends the walk
  // after the object in hand (what was healed so far is returned).
  [[nodiscard]] virtual result<std::vector<object_health>> heal_all(
      std::string_view bucket, const progress_fn& progress, const std::stop_token& stop) = 0;
  // Verifies without repairing.
  [[nodiscard]] virtual result<object_health> verify_object(std::string_view bucket,
                                                            std::string_view key) = 0;
  [[nodiscard]] virtual result<scrub_report> scrub(const scrub_options& options,
                                                   const progress_fn& progress) = 0;
  // Rebuilds the index from the manifests on the disks (offline: objects are
  // invisible while it runs).
  [[nodiscard]] virtual result<std::uint64_t> reindex(const progress_fn& progress) = 0;
  // The index checked against the disks while the store serves: every key
  // the disks or the index know is resolved across the disks under its key
  // lock and its index entry set right where it differs (docs/api.md,
  // "Maintenance jobs"). Consistent keys are left as they are.
  [[nodiscard]] virtual result<reconcile_report> reconcile_index(const progress_fn& progress,
                                                                 const std::stop_token& stop) = 0;
  // Drains the heal queue now (also done in the background when enabled).
  [[nodiscard]] virtual result<std::uint64_t> drain_heal_queue() = 0;

  // Cache tier (capacity.h, docs/cache.md). Usage counts committed objects;
  // least recently used (GET/HEAD/PUT) objects are evicted to keep every limit.
  //
  // Would a write of `bytes` (0 when unknown) to bucket/key be admitted? Memory
  // only, never blocks: call it before answering 100 Continue. Ok when it fits
  // now or once least recently used objects are evicted (the evictor is woken);
  // errc::quota_exceeded when it would pass the bucket's quota and the bucket is
  // no-evict (or the object alone is larger than the quota);
  // capacity_errc::insufficient_capacity when the node-wide limit cannot be met
  // by evicting. begin_put() (declared size), put commit (unknown size) and
  // complete_upload() admit again, reserving the bytes until commit and evicting
  // inline when the background evictor has fallen behind; they refuse with the
  // same errors. begin_part() refuses with them too (parts themselves are not
  // counted: uploads in progress are never evicted).
  [[nodiscard]] virtual result<void> check_write(std::string_view bucket, std::string_view key,
                                                 std::uint64_t bytes) = 0;
  // Replaces limits, watermarks and bucket policies (errc::invalid_argument
  // unless 0 < low <= high <= 1) and wakes the evictor.
  [[nodiscard]] virtual result<void> set_capacity(capacity_config config) = 0;
  // Sets one bucket's quota/no-evict policy; nullopt removes it.
  virtual void set_bucket_policy(std::string_view bucket, std::optional<bucket_policy> policy) = 0;
  virtual capacity_config capacity() = 0;
  // Usage per bucket and node-wide, limits, eviction and refusal counters.
  virtual capacity_report capacity_usage() = 0;
  // One eviction pass now, in the caller's thread (admin verb, tests): evicts
  // until every scope is at its low watermark or nothing more can go. Waits
  // for a background pass in progress first, so no pass runs when it returns.
  // Returns the objects evicted (by this call).
  [[nodiscard]] virtual result<std::uint64_t> evict_now() = 0;

  // Small named settings the gateway keeps with the data (run-time capacity
  // changes, bucket lifecycle configurations): opaque values in the index,
  // synced before put_setting() returns, kept across restarts and reindex.
  // delete_bucket() removes the settings named "bucket/<name>/...". An empty
  // optional value deletes the setting.
  [[nodiscard]] virtual result<std::optional<std::string>> get_setting(std::string_view name) = 0;
  [[nodiscard]] virtual result<void> put_setting(std::string_view name,
                                                 std::optional<std::string_view> value) = 0;
};

// The setting-name prefix delete_bucket() clears: "bucket/<name>/".
std::string bucket_setting_prefix(std::string_view bucket);

}  // namespace kvgate::erasure
