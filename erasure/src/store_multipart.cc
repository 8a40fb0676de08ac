// Multipart uploads: parts are erasure-coded on their own into the upload's
// directory; completion renames them into the object's data directory (no copy)
// and publishes one manifest listing them (docs/formats/erasure-layout.md,
// "Multipart").
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "layout.h"
#include "store_impl.h"
#include "stripe_writer.h"

namespace kvgate::erasure {

namespace {

std::string strip_quotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

class part_writer_impl final : public part_writer {
 public:
  part_writer_impl(store_impl& s, upload_info upload, int number, std::optional<std::uint64_t> size)
      : s_(s),
        upload_(std::move(upload)),
        number_(number),
        size_(size),
        nonce_(layout::random_id()),
        path_(layout::upload_part_file(upload_.upload_id, number_, nonce_)) {}

  ~part_writer_impl() override {
    if (committed_) return;
    s_.disks().run_each([&](std::size_t d) -> result<void> {
      auto r = s_.disks().disk_at(d).remove(path_);
      if (!r && r.error() == std::errc::no_such_file_or_directory) return {};
      return r;
    });
  }

  result<void> open() {
    disk_set& set = s_.disks();
    std::vector<std::unique_ptr<file>> files(set.size());
    set.run_each([&](std::size_t d) -> result<void> {
      auto f = set.disk_at(d).create(path_);
      if (!f) {
        if (is_disk_fault(f.error())) set.take_offline(d, "create failed: " + f.error().message());
        return f.error();
      }
      files[d] = std::move(*f);
      return {};
    });
    std::size_t opened = 0;
    for (const auto& f : files) opened += f ? 1 : 0;
    if (opened < set.write_quorum()) return make_error_code(errc::write_quorum_lost);
    const std::string hash = layout::key_hash(upload_.bucket, upload_.key);
    writer_ = std::make_unique<stripe_writer>(s_.erasure_codec(), set, set.geometry().block_size,
                                              s_.rotation_for(hash), std::move(files), false,
                                              set.write_quorum());
    return {};
  }

  result<void> write(std::span<const std::byte> data) override {
    if (size_ && writer_->size() + data.size() > *size_) return make_error_code(errc::long_body);
    return writer_->write(data);
  }

  std::uint64_t bytes_written() const noexcept override { return writer_->size(); }

  result<part_info> commit(std::string etag, s3_checksum checksum) override {
    if (committed_) return make_error_code(errc::invalid_argument);
    if (size_ && writer_->size() != *size_) return make_error_code(errc::short_body);
    disk_set& set = s_.disks();
    auto part = writer_->finish();
    if (!part) return part.error();
    auto& files = writer_->files();
    std::vector<std::size_t> with_files;
    for (std::size_t d = 0; d < files.size(); ++d)
      if (files[d]) with_files.push_back(d);
    const std::string dir = layout::upload_dir(upload_.upload_id);
    auto rs = set.run_on(with_files, [&](std::size_t d) -> result<void> {
      if (auto r = files[d]->sync(); !r) {
        set.take_offline(d, "fdatasync failed: " + r.error().message());
        return r;
      }
      return set.disk_at(d).sync_dir(dir);
    });
    files.clear();
    std::size_t ok = 0;
    for (std::size_t d : with_files) ok += rs[d] ? 1 : 0;
    if (ok < set.write_quorum()) return make_error_code(errc::write_quorum_lost);

    manifest pm;
    pm.object.bucket = upload_.bucket;
    pm.object.key = upload_.key;
    pm.object.data_id = nonce_;
    pm.object.size = part->info.size;
    pm.k = static_cast<std::uint32_t>(s_.erasure_codec().k());
    pm.m = static_cast<std::uint32_t>(s_.erasure_codec().m());
    pm.block_size = set.geometry().block_size;
    pm.rotation = s_.rotation_for(layout::key_hash(upload_.bucket, upload_.key));
    part->info.number = number_;
    part->info.etag = std::move(etag);
    part->info.checksum = std::move(checksum);
    part->info.mtime_ns = s_.now_ns();
    pm.parts.push_back(std::move(*part));
    const part_info info = pm.parts[0].info;

    std::lock_guard key_guard(s_.key_lock(upload_.bucket, upload_.key));
    auto still = s_.index().get_upload(upload_.bucket, upload_.key, upload_.upload_id);
    if (!still) return still.error();
    if (!*still) return make_error_code(errc::upload_not_found);
    // The part this one replaces, if any, becomes garbage once the new one is recorded.
    std::string replaced;
    if (auto existing = s_.index().parts(upload_.upload_id); existing) {
      for (const auto& [n, bytes] : *existing)
        if (n == number_)
          if (auto old = decode_manifest(bytes); old) replaced = old->object.data_id;
    }
    if (auto r = s_.index().put_part(upload_.upload_id, number_, encode_manifest(pm)); !r)
      return r.error();
    committed_ = true;
    if (!replaced.empty() && replaced != nonce_) {
      const std::string old_path = layout::upload_part_file(upload_.upload_id, number_, replaced);
      set.run_each([&](std::size_t d) -> result<void> { return set.disk_at(d).remove(old_path); });
    }
    return info;
  }

 private:
  store_impl& s_;
  upload_info upload_;
  int number_;
  std::optional<std::uint64_t> size_;
  std::string nonce_;
  std::string path_;
  std::unique_ptr<stripe_writer> writer_;
  bool committed_ = false;
};

}  // namespace

result<upload_info> store_impl::create_upload(std::string_view bucket, std::string_view key,
                                              object_attrs attrs, std::string checksum_algorithm,
                                              std::string checksum_type) {
  if (!valid_key(key)) return make_error_code(errc::key_too_long);
  std::shared_lock bucket_guard(bucket_mutex_);
  if (auto r = check_bucket(bucket); !r) return r.error();
  if (set_->online_count() < set_->write_quorum()) return make_error_code(errc::write_quorum_lost);
  upload_info u;
  u.bucket = bucket;
  u.key = key;
  u.upload_id = layout::random_id();
  u.initiated_ns = now_ns();
  u.attrs = std::move(attrs);
  u.checksum_algorithm = std::move(checksum_algorithm);
  u.checksum_type = std::move(checksum_type);
  std::string key_hex;
  for (unsigned char c : u.key) key_hex += fmt::format("{:02x}", c);
  nlohmann::json j{{"bucket", u.bucket},
                   {"key_hex", key_hex},
                   {"upload_id", u.upload_id},
                   {"initiated_ns", u.initiated_ns}};
  const std::string text = j.dump() + "\n";
  const std::string dir = layout::upload_dir(u.upload_id);
  auto rs = set_->run_each([&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    if (auto r = dk.make_dirs(dir); !r) return r;
    if (auto r = dk.write_atomic(layout::upload_manifest(u.upload_id), dir + "/upload.meta.tmp",
                                 std::as_bytes(std::span(text.data(), text.size())));
        !r)
      return r;
    return dk.sync_dir(layout::kUploadsDir);
  });
  std::size_t ok = 0;
  for (const auto& r : rs) ok += r ? 1 : 0;
  if (ok < set_->write_quorum()) return make_error_code(errc::write_quorum_lost);
  if (auto r = index_->put_upload(u); !r) return r.error();
  return u;
}

result<upload_info> store_impl::get_upload(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id) {
  if (!layout::is_hex_id(upload_id) || !valid_key(key))
    return make_error_code(errc::upload_not_found);
  if (auto r = check_bucket(bucket); !r) return r.error();
  auto u = index_->get_upload(bucket, key, upload_id);
  if (!u) return u.error();
  if (!*u) return make_error_code(errc::upload_not_found);
  return std::move(**u);
}

result<std::unique_ptr<part_writer>> store_impl::begin_part(std::string_view bucket,
                                                            std::string_view key,
                                                            std::string_view upload_id,
                                                            int part_number,
                                                            std::optional<std::uint64_t> size) {
  if (part_number < 1 || part_number > kMaxPartNumber)
    return make_error_code(errc::invalid_argument);
  auto u = get_upload(bucket, key, upload_id);
  if (!u) return u.error();
  if (set_->online_count() < set_->write_quorum()) return make_error_code(errc::write_quorum_lost);
  // Refuse early what completion would refuse (the part itself is not counted).
  if (auto r = check_write(bucket, key, size.value_or(0)); !r) return r.error();
  auto w = std::make_unique<part_writer_impl>(*this, std::move(*u), part_number, size);
  if (auto r = w->open(); !r) return r.error();
  return std::unique_ptr<part_writer>(std::move(w));
}

result<list_parts_result> store_impl::list_parts(std::string_view bucket, std::string_view key,
                                                 std::string_view upload_id, int part_number_marker,
                                                 int max_parts) {
  if (auto u = get_upload(bucket, key, upload_id); !u) return u.error();
  auto parts = index_->parts(upload_id);
  if (!parts) return parts.error();
  list_parts_result out;
  for (const auto& [number, bytes] : *parts) {
    if (number <= part_number_marker) continue;
    if (static_cast<int>(out.parts.size()) == max_parts) {
      out.truncated = true;
      break;
    }
    auto pm = decode_manifest(bytes);
    if (!pm) return make_error_code(errc::index_error);
    out.parts.push_back(pm->parts[0].info);
    out.next_part_number_marker = number;
  }
  return out;
}

result<list_uploads_result> store_impl::list_uploads(std::string_view bucket,
                                                     const list_uploads_params& params) {
  if (auto r = check_bucket(bucket); !r) return r.error();
  return index_->list_uploads(bucket, params);
}

result<object_info> store_impl::complete_upload(std::string_view bucket, std::string_view key,
                                                std::string_view upload_id,
                                                const std::vector<completed_part>& parts,
                                                std::string etag, s3_checksum checksum,
                                                const commit_conditions& conditions) {
  if (!layout::is_hex_id(upload_id) || !valid_key(key))
    return make_error_code(errc::upload_not_found);
  // Room for the object the parts become, made before any lock is taken
  // (eviction takes key locks); counted against limits until it is recorded.
  auto room = admit_write(bucket, key, upload_bytes(upload_id, parts));
  if (!room) return room.error();
  std::shared_lock bucket_guard(bucket_mutex_);
  if (auto r = check_bucket(bucket); !r) return r.error();
  std::lock_guard key_guard(key_lock(bucket, key));
  auto previous = index_->get_object(bucket, key);
  if (!previous) return previous.error();
  auto upload = index_->get_upload(bucket, key, upload_id);
  if (!upload) return upload.error();
  if (!*upload) {
    // Completing a completed upload again answers with the object it made.
    if (*previous && (*previous)->info.data_id == upload_id) return (*previous)->info;
    return make_error_code(errc::upload_not_found);
  }
  if (parts.empty()) return make_error_code(errc::invalid_part);
  auto stored = index_->parts(upload_id);
  if (!stored) return stored.error();
  std::map<int, manifest> available;
  for (const auto& [number, bytes] : *stored) {
    auto pm = decode_manifest(bytes);
    if (!pm) return make_error_code(errc::index_error);
    available.emplace(number, std::move(*pm));
  }
  manifest m;
  m.k = static_cast<std::uint32_t>(codec_->k());
  m.m = static_cast<std::uint32_t>(codec_->m());
  m.block_size = set_->geometry().block_size;
  const std::string hash = layout::key_hash(bucket, key);
  m.rotation = rotation_for(hash);
  std::uint64_t total = 0;
  std::vector<std::string> sources;  // part file per listed part
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0 && parts[i].number <= parts[i - 1].number)
      return make_error_code(errc::invalid_part_order);
    auto it = available.find(parts[i].number);
    if (it == available.end() ||
        strip_quotes(it->second.parts[0].info.etag) != strip_quotes(parts[i].etag))
      return make_error_code(errc::invalid_part);
    const part_layout& p = it->second.parts[0];
    total += p.info.size;
    m.parts.push_back(p);
    sources.push_back(
        layout::upload_part_file(upload_id, p.info.number, it->second.object.data_id));
  }
  // Sizes are checked once every listed part is known to exist, as S3 does.
  for (std::size_t i = 0; i + 1 < m.parts.size(); ++i)
    if (m.parts[i].info.size < kMinPartBytes) return make_error_code(errc::entity_too_small);
  if (conditions.if_none_match_star && *previous) return make_error_code(errc::precondition_failed);
  if (conditions.if_match && (!*previous || (*previous)->info.etag != *conditions.if_match))
    return make_error_code(errc::precondition_failed);
  // Publishing on fewer disks than the quorum could still leave k manifests
  // that a restart would resolve to: do not start what cannot be acknowledged.
  if (set_->online_count() < set_->write_quorum()) return make_error_code(errc::write_quorum_lost);

  object_info& o = m.object;
  o.bucket = bucket;
  o.key = key;
  o.size = total;
  o.etag = std::move(etag);
  o.mtime_ns = now_ns();
  o.data_id = std::string(upload_id);
  o.attrs = (*upload)->attrs;
  o.checksum = std::move(checksum);
  o.multipart = true;
  for (const part_layout& p : m.parts) o.parts.push_back(p.info);
  m.seq = next_seq();

  auto intent = index_->add_intent(bucket, key);
  if (!intent) return intent.error();
  const std::string data = layout::data_dir(bucket, hash, upload_id);
  const std::vector<bool> ok = publish(
      m,
      [&](std::size_t d, const std::string&) -> result<void> {
        disk& dk = set_->disk_at(d);
        if (auto r = dk.make_dirs(data); !r) return r;
        for (std::size_t i = 0; i < m.parts.size(); ++i) {
          const std::string target = layout::part_file(data, m.parts[i].info.number);
          auto r = dk.rename(sources[i], target);
          if (!r) {
            // A retried completion finds the part already moved.
            auto there = dk.exists(target);
            if (!there || !*there) return r;
          }
        }
        crash_point("complete.after_parts_moved");
        if (auto r = dk.sync_dir(data); !r) return r;
        // The moves are durable once the directory they left is synced too.
        return dk.sync_dir(layout::upload_dir(upload_id));
      },
      nullptr, *previous);
  auto info = finish_publish(std::move(m), *previous, *intent, ok, &*room);
  if (!info) return info;
  if (auto r = index_->delete_upload_and_parts(bucket, key, upload_id); !r) return r.error();
  const std::string trash = layout::trash_dir(layout::random_id());
  set_->run_each([&](std::size_t d) -> result<void> {
    return set_->disk_at(d).rename(layout::upload_dir(upload_id), trash);
  });
  return info;
}

result<void> store_impl::abort_upload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id) {
  if (auto u = get_upload(bucket, key, upload_id); !u) return u.error();
  std::lock_guard key_guard(key_lock(bucket, key));
  if (auto r = index_->delete_upload_and_parts(bucket, key, upload_id); !r) return r;
  const std::string trash = layout::trash_dir(layout::random_id());
  set_->run_each([&](std::size_t d) -> result<void> {
    return set_->disk_at(d).rename(layout::upload_dir(upload_id), trash);
  });
  return {};
}

}  // namespace kvgate::erasure
