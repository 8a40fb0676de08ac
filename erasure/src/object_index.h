// The ordered index of one store: buckets, current object versions, multipart
// uploads, write intents and the heal queue, in one RocksDB database
// (docs/formats/erasure-layout.md, "Index").
//
// The index is derived state: the manifests on the disks are the truth and
// `kvgate reindex` rebuilds the index from them. To keep the two in step without
// a full scan after a crash, every mutation of an object first records a
// durable intent naming the key; the index update that follows deletes the
// intent in the same atomic batch. Start-up re-resolves the keys of leftover
// intents from the disks.
//
// Thread safety: all members may be called concurrently (RocksDB is).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/erasure/object.h"
#include "kvgate/erasure/result.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace kvgate::erasure {

struct index_object {
  object_info info;
  std::uint64_t seq = 0;
};

struct index_intent {
  std::uint64_t id = 0;
  std::string bucket;
  std::string key;
};

// Point lookups either may read from disk, or answer from memory only
// (memtables and block cache) and fail with errc::would_block otherwise.
enum class index_read { any, memory_only };

class object_index {
 public:
  [[nodiscard]] static result<std::unique_ptr<object_index>> open(const std::filesystem::path& dir);
  ~object_index();
  object_index(const object_index&) = delete;
  object_index& operator=(const object_index&) = delete;

  // True once a complete build (reindex or first format) finished.
  [[nodiscard]] result<bool> complete();
  [[nodiscard]] result<void> mark_complete(bool complete);
  // Removes every object, upload and intent record (before a reindex).
  [[nodiscard]] result<void> clear_objects();

  // Buckets.
  [[nodiscard]] result<void> put_bucket(const bucket_info& b);
  [[nodiscard]] result<std::optional<bucket_info>> get_bucket(std::string_view name,
                                                              index_read how = index_read::any);
  [[nodiscard]] result<void> delete_bucket(std::string_view name);
  [[nodiscard]] result<std::vector<bucket_info>> list_buckets();
  // True if the bucket holds at least one object or upload.
  [[nodiscard]] result<bool> bucket_has_entries(std::string_view name);

  // Intents (synced to the WAL before returning).
  [[nodiscard]] result<std::uint64_t> add_intent(std::string_view bucket, std::string_view key);
  [[nodiscard]] result<std::vector<index_intent>> intents();

  // Objects. put/delete clear the given intent (0 = none) atomically.
  [[nodiscard]] result<std::optional<index_object>> get_object(std::string_view bucket,
                                                               std::string_view key,
                                                               index_read how = index_read::any);
  [[nodiscard]] result<void> put_object(const index_object& o, std::uint64_t intent);
  [[nodiscard]] result<void> delete_object(std::string_view bucket, std::string_view key,
                                           std::uint64_t intent);
  [[nodiscard]] result<list_result> list_objects(std::string_view bucket, const list_params& p);
  // Visits every object of a bucket (or all buckets when empty) in key order.
  [[nodiscard]] result<void> for_each_object(std::string_view bucket,
                                             const std::function<bool(const index_object&)>& visit);

  // Multipart uploads.
  [[nodiscard]] result<void> put_upload(const upload_info& u);
  [[nodiscard]] result<std::optional<upload_info>> get_upload(std::string_view bucket,
                                                              std::string_view key,
                                                              std::string_view upload_id);
  [[nodiscard]] result<list_uploads_result> list_uploads(std::string_view bucket,
                                                         const list_uploads_params& p);

  // Parts of multipart uploads: the encoded part manifest (manifest.h with one
  // part) per part number, synced before UploadPart is acknowledged.
  [[nodiscard]] result<void> put_part(std::string_view upload_id, int number,
                                      std::string_view encoded);
  [[nodiscard]] result<std::vector<std::pair<int, std::string>>> parts(std::string_view upload_id);
  // Deletes the upload and its parts in one batch.
  [[nodiscard]] result<void> delete_upload_and_parts(std::string_view bucket, std::string_view key,
                                                     std::string_view upload_id);

  // Heal queue: keys whose redundancy is below full.
  [[nodiscard]] result<void> queue_heal(std::string_view bucket, std::string_view key,
                                        std::string_view reason);
  [[nodiscard]] result<void> dequeue_heal(std::string_view bucket, std::string_view key);
  [[nodiscard]] result<std::vector<std::pair<std::string, std::string>>> heal_queue(
      std::size_t max);
  [[nodiscard]] result<std::uint64_t> heal_queue_size();

  // Named settings (store::get_setting/put_setting): `S<name>` records, kept
  // by clear_objects() and reindex. An empty optional deletes.
  [[nodiscard]] result<std::optional<std::string>> get_setting(std::string_view name);
  [[nodiscard]] result<void> put_setting(std::string_view name,
                                         std::optional<std::string_view> value);
  // Deletes every setting whose name starts with `prefix`.
  [[nodiscard]] result<void> delete_settings(std::string_view prefix);

 private:
  explicit object_index(std::unique_ptr<rocksdb::DB> db);
  [[nodiscard]] result<void> write(rocksdb::WriteBatch& batch, bool sync);
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<std::uint64_t> next_intent_{1};
};

}  // namespace kvgate::erasure
