// HeadObject, GetObject (whole or ranged) and ListObjects: metadata from the
// index and the manifest cache, bytes through part_reader.
#include <spdlog/spdlog.h>

#include <bit>

#include "layout.h"
#include "part_reader.h"
#include "store_impl.h"

namespace kvgate::erasure {

namespace {

class object_reader_impl final : public object_reader {
 public:
  object_reader_impl(store_impl& s, std::shared_ptr<const cached_manifest> cached,
                     std::uint64_t first, std::uint64_t length)
      : s_(s),
        cached_(std::move(cached)),
        info_(cached_->m->object),
        version_(store_impl::version_id(info_.bucket, info_.key, info_.data_id)),
        pos_(first),
        end_(first + length),
        length_(length),
        readers_(cached_->m->parts.size()) {
    const std::string hash = layout::key_hash(info_.bucket, info_.key);
    data_dir_ = layout::data_dir(info_.bucket, hash, info_.data_id);
    std::uint64_t offset = 0;
    for (const part_layout& p : cached_->m->parts) {
      part_offsets_.push_back(offset);
      offset += p.info.size;
    }
  }

  ~object_reader_impl() override {
    std::uint64_t corrupt = 0;
    for (const auto& r : readers_)
      if (r) corrupt += static_cast<std::uint64_t>(std::popcount(r->corrupt_shards()));
    if (corrupt > 0) s_.note_bitrot(corrupt);
    if (degraded()) {
      s_.note_degraded_read();
      s_.queue_heal(info_.bucket, info_.key, "degraded read");
    }
    for (auto& cleanup : s_.pins().unpin(version_)) cleanup();
  }

  const object_info& info() const noexcept override { return info_; }
  std::uint64_t length() const noexcept override { return length_; }

  result<std::size_t> read(std::span<std::byte> buf) override {
    std::size_t done = 0;
    while (done < buf.size() && pos_ < end_) {
      // The part holding pos_ (parts are few; a linear scan from the current one).
      while (part_ + 1 < part_offsets_.size() && part_offsets_[part_ + 1] <= pos_) ++part_;
      const part_layout& p = cached_->m->parts[part_];
      const std::uint64_t in_part = pos_ - part_offsets_[part_];
      const std::size_t n = static_cast<std::size_t>(
          std::min<std::uint64_t>({buf.size() - done, end_ - pos_, p.info.size - in_part}));
      if (!readers_[part_])
        readers_[part_] = std::make_unique<part_reader>(s_.erasure_codec(), s_.disks(), cached_->m,
                                                        part_, data_dir_, cached_->inline_shards);
      if (auto r = readers_[part_]->read(in_part, buf.subspan(done, n)); !r) {
        spdlog::error("read of {}/{} failed: {}", info_.bucket, info_.key, r.error().message());
        s_.queue_heal(info_.bucket, info_.key, "read failed");
        return r.error();
      }
      done += n;
      pos_ += n;
    }
    return done;
  }

  bool degraded() const noexcept override {
    for (const auto& r : readers_)
      if (r && r->degraded()) return true;
    return false;
  }

 private:
  store_impl& s_;
  std::shared_ptr<const cached_manifest> cached_;
  object_info info_;
  std::string version_;
  std::string data_dir_;
  std::uint64_t pos_;
  std::uint64_t end_;
  std::uint64_t length_;
  std::vector<std::uint64_t> part_offsets_;
  std::size_t part_ = 0;
  std::vector<std::unique_ptr<part_reader>> readers_;
};

}  // namespace

result<object_info> store_impl::head(std::string_view bucket, std::string_view key) {
  if (!valid_key(key)) return make_error_code(errc::object_not_found);
  auto o = index_->get_object(bucket, key);
  if (!o) return o.error();
  if (!*o) {
    if (auto r = check_bucket(bucket); !r) return r.error();
    return make_error_code(errc::object_not_found);
  }
  ledger_touch(bucket, key);
  return std::move((*o)->info);
}

result<object_info> store_impl::head_cached(std::string_view bucket, std::string_view key) {
  if (!valid_key(key)) return make_error_code(errc::object_not_found);
  auto o = index_->get_object(bucket, key, index_read::memory_only);
  if (!o) return o.error();
  if (!*o) {
    if (!valid_bucket_name(bucket)) return make_error_code(errc::bucket_not_found);
    auto b = index_->get_bucket(bucket, index_read::memory_only);
    if (!b) return b.error();
    if (!*b) return make_error_code(errc::bucket_not_found);
    return make_error_code(errc::object_not_found);
  }
  ledger_touch(bucket, key);
  return std::move((*o)->info);
}

result<std::shared_ptr<const cached_manifest>> store_impl::load_manifest(const index_object& o) {
  const std::string id = version_id(o.info.bucket, o.info.key, o.info.data_id);
  if (auto hit = cache_.get(id)) return hit;
  const std::string hash = layout::key_hash(o.info.bucket, o.info.key);
  const std::string path = layout::manifest_path(o.info.bucket, hash);
  const std::size_t n = set_->size();
  // Every copy carries the full manifest; inline objects also need k copies'
  // own shards, so those read all disks in parallel.
  std::vector<std::optional<manifest>> copies(n);
  set_->run_each([&](std::size_t d) -> result<void> {
    auto bytes = set_->disk_at(d).read_whole(path);
    if (!bytes) return bytes.error();
    auto m = decode_manifest(*bytes);
    if (!m) return m.error();
    if (m->object.data_id == o.info.data_id) {
      copies[d] = std::move(*m);
    } else if (!m->prev.empty()) {
      // An interrupted overwrite may hold this (inlined) version as prev.
      if (auto prev = decode_manifest(m->prev); prev && prev->object.data_id == o.info.data_id)
        copies[d] = std::move(*prev);
    }
    return {};
  });
  auto cached = std::make_shared<cached_manifest>();
  std::vector<std::string> shards;
  for (std::size_t d = 0; d < n; ++d) {
    if (!copies[d]) continue;
    if (!cached->m) {
      if (copies[d]->inlined) shards.resize(copies[d]->shard_count());
      manifest common = *copies[d];
      common.inline_shard.clear();
      common.prev.clear();
      cached->m = std::make_shared<const manifest>(std::move(common));
    }
    if (copies[d]->inlined)
      shards[copies[d]->shard_of_disk(static_cast<std::uint32_t>(d))] =
          std::move(copies[d]->inline_shard);
  }
  if (!cached->m) return make_error_code(errc::object_not_found);
  if (cached->m->inlined)
    cached->inline_shards = std::make_shared<const std::vector<std::string>>(std::move(shards));
  cache_.put(id, cached);
  return std::shared_ptr<const cached_manifest>(std::move(cached));
}

result<std::unique_ptr<object_reader>> store_impl::open_read(std::string_view bucket,
                                                             std::string_view key,
                                                             std::optional<byte_range> range) {
  if (!valid_key(key)) return make_error_code(errc::object_not_found);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::optional<index_object> o;
    {
      // Pin under the key lock so a concurrent overwrite cannot retire the
      // version between the index lookup and the pin.
      std::lock_guard key_guard(key_lock(bucket, key));
      auto found = index_->get_object(bucket, key);
      if (!found) return found.error();
      if (!*found) {
        if (auto r = check_bucket(bucket); !r) return r.error();
        return make_error_code(errc::object_not_found);
      }
      o = std::move(*found);
      pins_.pin(version_id(bucket, key, o->info.data_id));
    }
    const std::string version = version_id(bucket, key, o->info.data_id);
    auto cached = load_manifest(*o);
    if (!cached) {
      for (auto& cleanup : pins_.unpin(version)) cleanup();
      if (cached.error() != errc::object_not_found || attempt == 1) return cached.error();
      // The index names a version no disk has: repair the key from the disks and retry.
      std::lock_guard key_guard(key_lock(bucket, key));
      if (auto r = repair_key(bucket, key, 0); !r) return r.error();
      continue;
    }
    std::uint64_t first = 0;
    std::uint64_t length = o->info.size;
    if (range) {
      if (range->first > range->last || range->last >= o->info.size) {
        for (auto& cleanup : pins_.unpin(version)) cleanup();
        return make_error_code(errc::invalid_argument);
      }
      first = range->first;
      length = range->length();
    }
    ledger_touch(bucket, key);
    return std::unique_ptr<object_reader>(
        new object_reader_impl(*this, std::move(*cached), first, length));
  }
  return make_error_code(errc::object_not_found);
}

result<list_result> store_impl::list(std::string_view bucket, const list_params& params) {
  if (auto r = check_bucket(bucket); !r) return r.error();
  return index_->list_objects(bucket, params);
}

}  // namespace kvgate::erasure
