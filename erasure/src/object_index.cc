#include "object_index.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <cstring>

#include "manifest.h"
#include "wire.h"

namespace kvgate::erasure {

namespace {

constexpr std::size_t kBlockCacheBytes = 256u << 20;

rocksdb::ReadOptions read_options(index_read how) {
  rocksdb::ReadOptions o;
  if (how == index_read::memory_only) o.read_tier = rocksdb::kBlockCacheTier;
  return o;
}

// Record kinds, the first byte of every RocksDB key (docs/formats/erasure-layout.md, "Index").
constexpr char kBucketRecord = 'B';
constexpr char kObjectRecord = 'O';
constexpr char kUploadRecord = 'U';
constexpr char kIntentRecord = 'I';
constexpr char kHealRecord = 'H';
constexpr char kPartRecord = 'P';
constexpr char kSettingRecord = 'S';
constexpr std::string_view kCompleteMarker = "Mcomplete";

std::error_code index_error(const rocksdb::Status& s) {
  if (s.IsIOError() && s.ToString().find("No space") != std::string::npos)
    return errno_code(ENOSPC);
  return make_error_code(errc::index_error);
}

std::string bucket_key(std::string_view bucket) {
  std::string k(1, kBucketRecord);
  k.append(bucket);
  return k;
}

std::string object_prefix(std::string_view bucket) {
  std::string k(1, kObjectRecord);
  k.append(bucket);
  k.push_back('\0');
  return k;
}

std::string object_key(std::string_view bucket, std::string_view key) {
  std::string k = object_prefix(bucket);
  k.append(key);
  return k;
}

std::string upload_prefix(std::string_view bucket) {
  std::string k(1, kUploadRecord);
  k.append(bucket);
  k.push_back('\0');
  return k;
}

std::string upload_key(std::string_view bucket, std::string_view key, std::string_view id) {
  std::string k = upload_prefix(bucket);
  k.append(key);
  k.push_back('\0');
  k.append(id);
  return k;
}

std::string part_prefix(std::string_view upload_id) {
  std::string k(1, kPartRecord);
  k.append(upload_id);
  k.push_back('\0');
  return k;
}

std::string part_key(std::string_view upload_id, int number) {
  std::string k = part_prefix(upload_id);
  const auto n = static_cast<std::uint32_t>(number);
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return k;
}

std::string heal_key(std::string_view bucket, std::string_view key) {
  std::string k(1, kHealRecord);
  k.append(bucket);
  k.push_back('\0');
  k.append(key);
  return k;
}

std::string intent_key(std::uint64_t id) {
  std::string k(1, kIntentRecord);
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((id >> (8 * i)) & 0xff));
  return k;
}

// Smallest string greater than every string that starts with `prefix`; empty
// when no such string exists (prefix of all 0xff).
std::string prefix_successor(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::string encode_index_object(const index_object& o) {
  wire_writer w;
  encode_object_info(w, o.info);
  w.u64(o.seq);
  return w.take();
}

bool decode_index_object(std::string_view bytes, index_object& o) {
  wire_reader r(bytes);
  return decode_object_info(r, o.info) && r.u64(o.seq);
}

std::string encode_upload(const upload_info& u) {
  wire_writer w;
  object_info carrier;
  carrier.bucket = u.bucket;
  carrier.key = u.key;
  carrier.data_id = u.upload_id;
  carrier.mtime_ns = u.initiated_ns;
  carrier.attrs = u.attrs;
  carrier.checksum.algorithm = u.checksum_algorithm;
  carrier.checksum.type = u.checksum_type;
  encode_object_info(w, carrier);
  return w.take();
}

bool decode_upload(std::string_view bytes, upload_info& u) {
  wire_reader r(bytes);
  object_info carrier;
  if (!decode_object_info(r, carrier)) return false;
  u.bucket = std::move(carrier.bucket);
  u.key = std::move(carrier.key);
  u.upload_id = std::move(carrier.data_id);
  u.initiated_ns = carrier.mtime_ns;
  u.attrs = std::move(carrier.attrs);
  u.checksum_algorithm = std::move(carrier.checksum.algorithm);
  u.checksum_type = std::move(carrier.checksum.type);
  return true;
}

}  // namespace

result<std::unique_ptr<object_index>> object_index::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ec;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  options.max_open_files = 512;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // HEAD answers come from memory (store::head_cached) when the record's
  // block is cached: room for the index of about a million objects.
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir.string(), &raw);
  if (!s.ok()) return index_error(s);
  return std::unique_ptr<object_index>(new object_index(std::unique_ptr<rocksdb::DB>(raw)));
}

object_index::object_index(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {
  // Seed intent ids above any leftover intent so replay and new intents never collide.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(intent_key(~std::uint64_t{0}));
  if (it->Valid() && it->key().size() == 9 && it->key()[0] == kIntentRecord) {
    std::uint64_t id = 0;
    for (int i = 1; i < 9; ++i) id = (id << 8) | static_cast<unsigned char>(it->key()[i]);
    next_intent_ = id + 1;
  }
}

object_index::~object_index() = default;

result<void> object_index::write(rocksdb::WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  const rocksdb::Status s = db_->Write(options, &batch);
  if (!s.ok()) return index_error(s);
  return {};
}

result<bool> object_index::complete() {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kCompleteMarker, &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return result<bool>(boost::system::in_place_error, index_error(s));
  return value == "1";
}

result<void> object_index::mark_complete(bool complete) {
  rocksdb::WriteBatch batch;
  batch.Put(kCompleteMarker, complete ? "1" : "0");
  return write(batch, true);
}

result<void> object_index::clear_objects() {
  rocksdb::WriteBatch batch;
  for (char kind : {kObjectRecord, kUploadRecord, kIntentRecord, kHealRecord, kPartRecord}) {
    const std::string begin(1, kind);
    const std::string end(1, static_cast<char>(kind + 1));
    batch.DeleteRange(begin, end);
  }
  return write(batch, true);
}

result<void> object_index::put_bucket(const bucket_info& b) {
  wire_writer w;
  w.i64(b.created_ns);
  w.str(b.owner);
  rocksdb::WriteBatch batch;
  batch.Put(bucket_key(b.name), w.take());
  return write(batch, true);
}

result<std::optional<bucket_info>> object_index::get_bucket(std::string_view name, index_read how) {
  std::string value;
  const rocksdb::Status s = db_->Get(read_options(how), bucket_key(name), &value);
  if (s.IsNotFound()) return std::optional<bucket_info>();
  if (s.IsIncomplete()) return make_error_code(errc::would_block);
  if (!s.ok()) return index_error(s);
  bucket_info b;
  b.name = name;
  wire_reader r(value);
  if (!r.i64(b.created_ns) || !r.str(b.owner)) return make_error_code(errc::index_error);
  return std::optional<bucket_info>(std::move(b));
}

result<void> object_index::delete_bucket(std::string_view name) {
  rocksdb::WriteBatch batch;
  batch.Delete(bucket_key(name));
  return write(batch, true);
}

result<std::vector<bucket_info>> object_index::list_buckets() {
  std::vector<bucket_info> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kBucketRecord);
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
    bucket_info b;
    b.name.assign(it->key().data() + 1, it->key().size() - 1);
    wire_reader r(std::string_view(it->value().data(), it->value().size()));
    if (!r.i64(b.created_ns) || !r.str(b.owner)) return make_error_code(errc::index_error);
    out.push_back(std::move(b));
  }
  if (!it->status().ok()) return index_error(it->status());
  return out;
}

result<bool> object_index::bucket_has_entries(std::string_view name) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (const std::string& prefix : {object_prefix(name), upload_prefix(name)}) {
    it->Seek(prefix);
    if (it->Valid() && starts_with(it->key(), prefix)) return true;
    if (!it->status().ok())
      return result<bool>(boost::system::in_place_error, index_error(it->status()));
  }
  return false;
}

result<std::uint64_t> object_index::add_intent(std::string_view bucket, std::string_view key) {
  const std::uint64_t id = next_intent_.fetch_add(1);
  wire_writer w;
  w.str(bucket);
  w.str(key);
  rocksdb::WriteBatch batch;
  batch.Put(intent_key(id), w.take());
  auto r = write(batch, true);
  if (!r) return r.error();
  return id;
}

result<std::vector<index_intent>> object_index::intents() {
  std::vector<index_intent> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kIntentRecord);
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
    if (it->key().size() != 9) return make_error_code(errc::index_error);
    index_intent intent;
    for (int i = 1; i < 9; ++i)
      intent.id = (intent.id << 8) | static_cast<unsigned char>(it->key()[i]);
    wire_reader r(std::string_view(it->value().data(), it->value().size()));
    if (!r.str(intent.bucket) || !r.str(intent.key)) return make_error_code(errc::index_error);
    out.push_back(std::move(intent));
  }
  if (!it->status().ok()) return index_error(it->status());
  return out;
}

result<std::optional<index_object>> object_index::get_object(std::string_view bucket,
                                                             std::string_view key, index_read how) {
  std::string value;
  const rocksdb::Status s = db_->Get(read_options(how), object_key(bucket, key), &value);
  if (s.IsNotFound()) return std::optional<index_object>();
  if (s.IsIncomplete()) return make_error_code(errc::would_block);
  if (!s.ok()) return index_error(s);
  index_object o;
  if (!decode_index_object(value, o)) return make_error_code(errc::index_error);
  return std::optional<index_object>(std::move(o));
}

result<void> object_index::put_object(const index_object& o, std::uint64_t intent) {
  rocksdb::WriteBatch batch;
  batch.Put(object_key(o.info.bucket, o.info.key), encode_index_object(o));
  if (intent != 0) batch.Delete(intent_key(intent));
  return write(batch, false);
}

result<void> object_index::delete_object(std::string_view bucket, std::string_view key,
                                         std::uint64_t intent) {
  rocksdb::WriteBatch batch;
  batch.Delete(object_key(bucket, key));
  if (intent != 0) batch.Delete(intent_key(intent));
  return write(batch, false);
}

result<list_result> object_index::list_objects(std::string_view bucket, const list_params& p) {
  list_result out;
  if (p.max_keys <= 0) return out;
  const std::string base = object_prefix(bucket);
  const std::string scan_prefix = base + p.prefix;
  std::string seek = scan_prefix;
  if (!p.start_after.empty() && base + p.start_after >= seek) {
    seek = base + p.start_after;
    seek.push_back('\0');  // strictly after start_after (keys never contain NUL)
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  int returned = 0;
  it->Seek(seek);
  while (it->Valid() && starts_with(it->key(), scan_prefix)) {
    const std::string_view key(it->key().data() + base.size(), it->key().size() - base.size());
    if (!p.delimiter.empty()) {
      const std::size_t pos = key.find(p.delimiter, p.prefix.size());
      if (pos != std::string_view::npos) {
        std::string common(key.substr(0, pos + p.delimiter.size()));
        const std::string next = prefix_successor(base + common);
        if (common <= p.start_after) {  // a prefix returned by an earlier page
          if (next.empty()) break;
          it->Seek(next);
          continue;
        }
        if (returned == p.max_keys) {
          out.truncated = true;
          break;
        }
        out.next_start_after = common;
        out.common_prefixes.push_back(std::move(common));
        ++returned;
        if (next.empty()) break;
        it->Seek(next);
        continue;
      }
    }
    if (returned == p.max_keys) {
      out.truncated = true;
      break;
    }
    index_object o;
    if (!decode_index_object(std::string_view(it->value().data(), it->value().size()), o))
      return make_error_code(errc::index_error);
    out.objects.push_back(list_entry{std::string(key), o.info.size, o.info.etag, o.info.mtime_ns,
                                     o.info.attrs.owner});
    out.next_start_after = std::string(key);
    ++returned;
    it->Next();
  }
  if (!it->status().ok()) return index_error(it->status());
  return out;
}

result<void> object_index::for_each_object(std::string_view bucket,
                                           const std::function<bool(const index_object&)>& visit) {
  const std::string prefix = bucket.empty() ? std::string(1, kObjectRecord) : object_prefix(bucket);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
    index_object o;
    if (!decode_index_object(std::string_view(it->value().data(), it->value().size()), o))
      return make_error_code(errc::index_error);
    if (!visit(o)) break;
  }
  if (!it->status().ok()) return index_error(it->status());
  return {};
}

result<void> object_index::put_upload(const upload_info& u) {
  rocksdb::WriteBatch batch;
  batch.Put(upload_key(u.bucket, u.key, u.upload_id), encode_upload(u));
  return write(batch, true);
}

result<std::optional<upload_info>> object_index::get_upload(std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view upload_id) {
  std::string value;
  const rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), upload_key(bucket, key, upload_id), &value);
  if (s.IsNotFound()) return std::optional<upload_info>();
  if (!s.ok()) return index_error(s);
  upload_info u;
  if (!decode_upload(value, u)) return make_error_code(errc::index_error);
  return std::optional<upload_info>(std::move(u));
}

result<list_uploads_result> object_index::list_uploads(std::string_view bucket,
                                                       const list_uploads_params& p) {
  list_uploads_result out;
  if (p.max_uploads <= 0) return out;
  const std::string base = upload_prefix(bucket);
  const std::string scan_prefix = base + p.prefix;
  std::string seek = scan_prefix;
  if (!p.key_marker.empty() && base + p.key_marker >= seek) {
    seek = base + p.key_marker;
    seek.push_back('\0');
    if (!p.upload_id_marker.empty()) {
      seek += p.upload_id_marker;
      seek.push_back('\0');
    } else {
      seek = prefix_successor(seek);  // past every upload of key_marker
    }
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  int returned = 0;
  it->Seek(seek);
  while (it->Valid() && starts_with(it->key(), scan_prefix)) {
    upload_info u;
    if (!decode_upload(std::string_view(it->value().data(), it->value().size()), u))
      return make_error_code(errc::index_error);
    if (!p.delimiter.empty()) {
      const std::size_t pos = u.key.find(p.delimiter, p.prefix.size());
      if (pos != std::string::npos) {
        std::string common = u.key.substr(0, pos + p.delimiter.size());
        if (common <= p.key_marker && !p.key_marker.empty()) {
          const std::string next = prefix_successor(base + common);
          if (next.empty()) break;
          it->Seek(next);
          continue;
        }
        if (returned == p.max_uploads) {
          out.truncated = true;
          break;
        }
        out.next_key_marker = common;
        out.next_upload_id_marker.clear();
        const std::string next = prefix_successor(base + common);
        out.common_prefixes.push_back(std::move(common));
        ++returned;
        if (next.empty()) break;
        it->Seek(next);
        continue;
      }
    }
    if (returned == p.max_uploads) {
      out.truncated = true;
      break;
    }
    out.next_key_marker = u.key;
    out.next_upload_id_marker = u.upload_id;
    out.uploads.push_back(std::move(u));
    ++returned;
    it->Next();
  }
  if (!it->status().ok()) return index_error(it->status());
  return out;
}

result<void> object_index::put_part(std::string_view upload_id, int number,
                                    std::string_view encoded) {
  rocksdb::WriteBatch batch;
  batch.Put(part_key(upload_id, number), rocksdb::Slice(encoded.data(), encoded.size()));
  return write(batch, true);
}

result<std::vector<std::pair<int, std::string>>> object_index::parts(std::string_view upload_id) {
  std::vector<std::pair<int, std::string>> out;
  const std::string prefix = part_prefix(upload_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
    if (it->key().size() != prefix.size() + 4) return make_error_code(errc::index_error);
    std::uint32_t n = 0;
    for (std::size_t i = prefix.size(); i < prefix.size() + 4; ++i)
      n = (n << 8) | static_cast<unsigned char>(it->key()[i]);
    out.emplace_back(static_cast<int>(n), it->value().ToString());
  }
  if (!it->status().ok()) return index_error(it->status());
  return out;
}

result<void> object_index::delete_upload_and_parts(std::string_view bucket, std::string_view key,
                                                   std::string_view upload_id) {
  rocksdb::WriteBatch batch;
  batch.Delete(upload_key(bucket, key, upload_id));
  const std::string prefix = part_prefix(upload_id);
  batch.DeleteRange(prefix, prefix_successor(prefix));
  return write(batch, true);
}

result<void> object_index::queue_heal(std::string_view bucket, std::string_view key,
                                      std::string_view reason) {
  rocksdb::WriteBatch batch;
  batch.Put(heal_key(bucket, key), rocksdb::Slice(reason.data(), reason.size()));
  return write(batch, true);
}

result<void> object_index::dequeue_heal(std::string_view bucket, std::string_view key) {
  rocksdb::WriteBatch batch;
  batch.Delete(heal_key(bucket, key));
  return write(batch, false);
}

result<std::vector<std::pair<std::string, std::string>>> object_index::heal_queue(std::size_t max) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kHealRecord);
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix) && out.size() < max;
       it->Next()) {
    const std::string_view k(it->key().data() + 1, it->key().size() - 1);
    const std::size_t nul = k.find('\0');
    if (nul == std::string_view::npos) return make_error_code(errc::index_error);
    out.emplace_back(std::string(k.substr(0, nul)), std::string(k.substr(nul + 1)));
  }
  if (!it->status().ok()) return index_error(it->status());
  return out;
}

result<std::uint64_t> object_index::heal_queue_size() {
  std::uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kHealRecord);
  for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next()) ++n;
  if (!it->status().ok()) return index_error(it->status());
  return n;
}

result<std::optional<std::string>> object_index::get_setting(std::string_view name) {
  std::string key(1, kSettingRecord);
  key.append(name);
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return index_error(s);
  return std::optional<std::string>(std::move(value));
}

result<void> object_index::put_setting(std::string_view name,
                                       std::optional<std::string_view> value) {
  std::string key(1, kSettingRecord);
  key.append(name);
  rocksdb::WriteBatch batch;
  if (value)
    batch.Put(key, rocksdb::Slice(value->data(), value->size()));
  else
    batch.Delete(key);
  return write(batch, true);
}

result<void> object_index::delete_settings(std::string_view prefix) {
  std::string begin(1, kSettingRecord);
  begin.append(prefix);
  std::string end = prefix_successor(begin);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(begin, end);
  return write(batch, true);
}

}  // namespace kvgate::erasure
