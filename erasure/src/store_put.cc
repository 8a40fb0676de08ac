// PutObject and DeleteObject, and the publish protocol shared with
// CompleteMultipartUpload (docs/formats/erasure-layout.md, "Write protocol").
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "layout.h"
#include "store_impl.h"
#include "stripe_writer.h"

namespace kvgate::erasure {

namespace {

std::size_t count_true(const std::vector<bool>& v) {
  std::size_t n = 0;
  for (bool b : v) n += b ? 1 : 0;
  return n;
}

// Creates the object directory if missing and makes its creation durable by
// syncing every parent it had to create.
result<void> ensure_object_dir(disk& dk, std::string_view bucket, std::string_view hash) {
  const std::string dir = layout::object_dir(bucket, hash);
  auto exists = dk.exists(dir);
  if (!exists) return exists.error();
  if (*exists) return {};
  if (auto r = dk.make_dirs(dir); !r) return r;
  // buckets/<b>/obj/<aa>/<bb>/<hash>: sync <bb>, <aa> and obj.
  std::string_view p = dir;
  for (int i = 0; i < 3; ++i) {
    p = parent_path(p);
    if (auto r = dk.sync_dir(p); !r) return r;
  }
  return {};
}

class put_writer_impl final : public put_writer {
 public:
  put_writer_impl(store_impl& s, std::string bucket, std::string key, put_options options,
                  cache_ledger::reservation room)
      : s_(s),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        hash_(layout::key_hash(bucket_, key_)),
        op_id_(layout::random_id()),
        data_id_(layout::random_id()),
        options_(std::move(options)),
        staged_(s.disks().size(), false),
        stage_errors_(s.disks().size()),
        room_(std::move(room)) {}

  ~put_writer_impl() override {
    if (committed_ || !writer_) return;
    // Discard the staged shards; a crash here is covered by start-up cleanup.
    s_.disks().run_each([&](std::size_t d) -> result<void> {
      return s_.disks().disk_at(d).remove_all(layout::tmp_dir(op_id_));
    });
  }

  result<void> write(std::span<const std::byte> data) override {
    if (options_.size && written_ + data.size() > *options_.size)
      return make_error_code(errc::long_body);
    written_ += data.size();
    if (!writer_) {
      if (pending_.size() + data.size() <= s_.options().inline_limit) {
        pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
        return {};
      }
      if (auto r = start_streaming(); !r) return r;
    }
    return writer_->write(data);
  }

  std::uint64_t bytes_written() const noexcept override { return written_; }

  result<object_info> commit(std::string etag, s3_checksum checksum,
                             const commit_conditions& conditions) override {
    if (committed_) return make_error_code(errc::invalid_argument);
    if (options_.size && written_ != *options_.size) return make_error_code(errc::short_body);
    if (!options_.size) {
      // An unknown length (aws-chunked) is admitted now that it is known.
      auto room = s_.admit_write(bucket_, key_, written_);
      if (!room) return room.error();
      room_ = std::move(*room);
    }
    disk_set& set = s_.disks();
    manifest m;
    m.k = static_cast<std::uint32_t>(s_.erasure_codec().k());
    m.m = static_cast<std::uint32_t>(s_.erasure_codec().m());
    m.block_size = set.geometry().block_size;
    m.rotation = s_.rotation_for(hash_);
    std::vector<std::string> inline_shards;
    if (!writer_) {
      m.inlined = true;
      stripe_writer w(s_.erasure_codec(), set, m.block_size, m.rotation, {}, true, 0);
      if (auto r = w.write(std::as_bytes(std::span(pending_.data(), pending_.size()))); !r)
        return r.error();
      auto part = w.finish();
      if (!part) return part.error();
      m.parts.push_back(std::move(*part));
      inline_shards = std::move(w.inline_shards());
    } else {
      auto part = writer_->finish();
      if (!part) return part.error();
      m.parts.push_back(std::move(*part));
      // Make the staged shards durable before anything points at them.
      auto& files = writer_->files();
      std::vector<std::size_t> with_files;
      for (std::size_t d = 0; d < files.size(); ++d)
        if (files[d]) with_files.push_back(d);
      auto rs = set.run_on(with_files, [&](std::size_t d) -> result<void> {
        if (auto r = files[d]->sync(); !r) {
          set.take_offline(d, "fdatasync failed: " + r.error().message());
          return r;
        }
        return set.disk_at(d).sync_dir(layout::tmp_dir(op_id_));
      });
      for (std::size_t d : with_files) {
        staged_[d] = rs[d].has_value();
        if (!rs[d]) stage_errors_[d] = rs[d].error();
      }
      files.clear();
      if (count_true(staged_) < set.write_quorum()) return make_error_code(errc::write_quorum_lost);
    }
    s_.crash_point("put.after_stage");
    const std::int64_t now = s_.now_ns();
    m.parts[0].info.number = 1;
    m.parts[0].info.etag = etag;
    m.parts[0].info.mtime_ns = now;
    object_info& o = m.object;
    o.bucket = bucket_;
    o.key = key_;
    o.size = written_;
    o.etag = std::move(etag);
    o.mtime_ns = now;
    o.data_id = data_id_;
    o.attrs = options_.attrs;
    o.checksum = std::move(checksum);
    m.seq = s_.next_seq();

    std::shared_lock bucket_guard(s_.bucket_lock());
    if (auto r = s_.check_bucket(bucket_); !r) return r.error();
    std::lock_guard key_guard(s_.key_lock(bucket_, key_));
    auto previous = s_.index().get_object(bucket_, key_);
    if (!previous) return previous.error();
    if (conditions.if_none_match_star && *previous)
      return make_error_code(errc::precondition_failed);
    if (conditions.if_match && (!*previous || (*previous)->info.etag != *conditions.if_match))
      return make_error_code(errc::precondition_failed);
    auto intent = s_.index().add_intent(bucket_, key_);
    if (!intent) return intent.error();
    const std::vector<bool> ok = s_.publish(
        m,
        [&](std::size_t d, const std::string&) -> result<void> {
          if (m.inlined) return {};
          // Not staged here: report why (ENOSPC must not take the disk out).
          if (!staged_[d])
            return stage_errors_[d] ? stage_errors_[d] : make_error_code(errc::disk_offline);
          return set.disk_at(d).rename(layout::tmp_dir(op_id_),
                                       layout::data_dir(bucket_, hash_, data_id_));
        },
        m.inlined ? &inline_shards : nullptr, *previous);
    committed_ = true;
    return s_.finish_publish(std::move(m), *previous, *intent, ok, &room_);
  }

 private:
  result<void> start_streaming() {
    disk_set& set = s_.disks();
    std::vector<std::unique_ptr<file>> files(set.size());
    const std::string dir = layout::tmp_dir(op_id_);
    const std::string path = layout::part_file(dir, 1);
    set.run_each([&](std::size_t d) -> result<void> {
      disk& dk = set.disk_at(d);
      if (auto r = dk.make_dirs(dir); !r) {
        if (is_disk_fault(r.error())) set.take_offline(d, "mkdir failed: " + r.error().message());
        stage_errors_[d] = r.error();
        return r;
      }
      auto f = dk.create(path);
      if (!f) {
        if (is_disk_fault(f.error())) set.take_offline(d, "create failed: " + f.error().message());
        stage_errors_[d] = f.error();
        return f.error();
      }
      files[d] = std::move(*f);
      return {};
    });
    std::size_t opened = 0;
    for (const auto& f : files) opened += f ? 1 : 0;
    writer_ = std::make_unique<stripe_writer>(s_.erasure_codec(), set, set.geometry().block_size,
                                              s_.rotation_for(hash_), std::move(files), false,
                                              set.write_quorum());
    if (opened < set.write_quorum()) return make_error_code(errc::write_quorum_lost);
    auto r = writer_->write(std::as_bytes(std::span(pending_.data(), pending_.size())));
    pending_.clear();
    pending_.shrink_to_fit();
    return r;
  }

  store_impl& s_;
  std::string bucket_;
  std::string key_;
  std::string hash_;
  std::string op_id_;
  std::string data_id_;
  put_options options_;
  std::string pending_;  // bytes held back while the object may still be inlined
  std::unique_ptr<stripe_writer> writer_;
  std::vector<bool> staged_;
  std::vector<std::error_code> stage_errors_;  // per disk, why staging failed there
  std::uint64_t written_ = 0;
  bool committed_ = false;
  cache_ledger::reservation room_;  // admitted bytes, counted against limits until commit
};

}  // namespace

result<std::unique_ptr<put_writer>> store_impl::begin_put(std::string_view bucket,
                                                          std::string_view key,
                                                          put_options options) {
  if (!valid_key(key)) return make_error_code(errc::key_too_long);
  if (auto r = check_bucket(bucket); !r) return r.error();
  if (set_->online_count() < set_->write_quorum()) return make_error_code(errc::write_quorum_lost);
  cache_ledger::reservation room;
  if (options.size) {
    auto admitted = admit_write(bucket, key, *options.size);
    if (!admitted) return admitted.error();
    room = std::move(*admitted);
  }
  return std::unique_ptr<put_writer>(new put_writer_impl(
      *this, std::string(bucket), std::string(key), std::move(options), std::move(room)));
}

std::vector<bool> store_impl::publish(
    const manifest& m, const std::function<result<void>(std::size_t, const std::string&)>& place,
    const std::vector<std::string>* inline_shards, const std::optional<index_object>& previous) {
  const std::string& bucket = m.object.bucket;
  const std::string hash = layout::key_hash(bucket, m.object.key);
  const std::string dir = layout::object_dir(bucket, hash);
  const std::string tmp_meta = layout::tmp_dir(layout::random_id()) + ".meta";
  std::shared_lock gc_guard(publish_gc_mutex_);
  auto rs = set_->run_each([&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    if (auto r = ensure_object_dir(dk, bucket, hash); !r) return r;
    if (auto r = place(d, dir); !r) return r;
    crash_point("publish.after_data");
    manifest copy = m;
    if (inline_shards != nullptr)
      copy.inline_shard = (*inline_shards)[m.shard_of_disk(static_cast<std::uint32_t>(d))];
    if (previous && previous->info.data_id != m.object.data_id &&
        previous->info.size <= options_.inline_limit) {
      // Keep the inlined version this copy replaces (see manifest::prev).
      if (auto old = dk.read_whole(layout::manifest_path(bucket, hash)); old) {
        if (auto om = decode_manifest(*old); om && om->inlined) {
          om->prev.clear();
          copy.prev = encode_manifest(*om);
        }
      }
    }
    const std::string bytes = encode_manifest(copy);
    auto f = dk.create(tmp_meta);
    if (!f) return f.error();
    if (auto r = (*f)->pwrite(std::as_bytes(std::span(bytes.data(), bytes.size())), 0); !r)
      return r;
    if (auto r = (*f)->sync(); !r) {
      set_->take_offline(d, "fdatasync failed: " + r.error().message());
      return r;
    }
    if (auto r = dk.rename(tmp_meta, layout::manifest_path(bucket, hash)); !r) return r;
    crash_point("publish.after_meta_rename");
    if (auto r = dk.sync_dir(dir); !r) return r;
    // A rename is durable once the directories on both sides are synced: the
    // manifest (and a streamed PUT's data dir) came from the staging area.
    return dk.sync_dir(layout::kTmpDir);
  });
  std::vector<bool> ok(set_->size());
  for (std::size_t d = 0; d < ok.size(); ++d) {
    ok[d] = rs[d].has_value();
    if (!ok[d] && is_disk_fault(rs[d].error()))
      set_->take_offline(d, "publish failed: " + rs[d].error().message());
  }
  return ok;
}

result<object_info> store_impl::finish_publish(manifest m,
                                               const std::optional<index_object>& previous,
                                               std::uint64_t intent, const std::vector<bool>& ok,
                                               cache_ledger::reservation* room) {
  const std::string& bucket = m.object.bucket;
  const std::string& key = m.object.key;
  if (count_true(ok) < set_->write_quorum()) {
    // Not acknowledged: make the index agree with whatever the disks now hold.
    // If the disks cannot tell, the intent stays and start-up replays it.
    static_cast<void>(repair_key(bucket, key, intent));
    return make_error_code(errc::write_quorum_lost);
  }
  if (count_true(ok) < set_->size()) queue_heal(bucket, key, "write missed disks");
  if (auto r = index_->put_object(index_object{m.object, m.seq}, intent); !r) return r.error();
  crash_point("publish.after_index");
  ledger_put(m.object, previous, m.object.mtime_ns, room);
  if (previous && previous->info.data_id != m.object.data_id)
    retire_version(bucket, key, previous->info.data_id);
  object_info info = m.object;
  if (!m.inlined) {
    auto cached = std::make_shared<cached_manifest>();
    cached->m = std::make_shared<const manifest>(std::move(m));
    cache_.put(version_id(bucket, key, info.data_id), std::move(cached));
  }
  return info;
}

void store_impl::retire_version(const std::string& bucket, const std::string& key,
                                const std::string& data_id) {
  pins_.when_unpinned(version_id(bucket, key, data_id), [this, bucket, key, data_id] {
    const std::string hash = layout::key_hash(bucket, key);
    const std::string trash = layout::trash_dir(layout::random_id());
    set_->run_each([&](std::size_t d) -> result<void> {
      disk& dk = set_->disk_at(d);
      auto r = dk.rename(layout::data_dir(bucket, hash, data_id), trash);
      if (!r && r.error() == std::errc::no_such_file_or_directory) return {};
      return r;
    });
    cache_.erase(version_id(bucket, key, data_id));
  });
}

result<void> store_impl::remove(std::string_view bucket, std::string_view key) {
  if (!valid_key(key)) return make_error_code(errc::key_too_long);
  std::shared_lock bucket_guard(bucket_mutex_);
  if (auto r = check_bucket(bucket); !r) return r;
  std::lock_guard key_guard(key_lock(bucket, key));
  auto previous = index_->get_object(bucket, key);
  if (!previous) return previous.error();
  if (!*previous) return {};
  return remove_locked(bucket, key, **previous);
}

result<void> store_impl::remove_locked(std::string_view bucket, std::string_view key,
                                       const index_object& previous) {
  if (set_->online_count() < set_->write_quorum()) return make_error_code(errc::write_quorum_lost);
  auto intent = index_->add_intent(bucket, key);
  if (!intent) return intent.error();
  const std::string hash = layout::key_hash(bucket, key);
  const std::string op = layout::random_id();
  auto rs = set_->run_each([&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    auto r = dk.rename(layout::manifest_path(bucket, hash), layout::trash_dir(op) + ".meta");
    if (!r && r.error() != std::errc::no_such_file_or_directory) return r;
    crash_point("delete.after_meta_trash");
    if (auto s = dk.sync_dir(layout::object_dir(bucket, hash)); !s) return s;
    return dk.sync_dir(layout::kTrashDir);  // the rename is durable once both sides are
  });
  std::vector<bool> ok(rs.size());
  for (std::size_t d = 0; d < rs.size(); ++d) ok[d] = rs[d].has_value();
  if (count_true(ok) < set_->write_quorum()) {
    static_cast<void>(repair_key(bucket, key, *intent));  // failing: replayed at start-up
    return make_error_code(errc::write_quorum_lost);
  }
  if (count_true(ok) < set_->size()) queue_heal(bucket, key, "delete missed disks");
  if (auto r = index_->delete_object(bucket, key, *intent); !r) return r;
  crash_point("delete.after_index");
  ledger_remove(previous);
  retire_version(std::string(bucket), std::string(key), previous.info.data_id);
  return {};
}

}  // namespace kvgate::erasure
