// Buckets: a marker file per disk (buckets/<name>/bucket.json) and an index record.
#include <nlohmann/json.hpp>

#include "layout.h"
#include "store_impl.h"

namespace kvgate::erasure {

namespace {
std::size_t count_ok(const std::vector<result<void>>& rs) {
  std::size_t n = 0;
  for (const auto& r : rs) n += r ? 1 : 0;
  return n;
}
}  // namespace

result<void> store_impl::check_bucket(std::string_view bucket) {
  if (!valid_bucket_name(bucket)) return make_error_code(errc::bucket_not_found);
  auto b = index_->get_bucket(bucket);
  if (!b) return b.error();
  if (!*b) return make_error_code(errc::bucket_not_found);
  return {};
}

result<bucket_info> store_impl::create_bucket(std::string_view name, std::string_view owner) {
  if (!valid_bucket_name(name)) return make_error_code(errc::invalid_bucket_name);
  std::unique_lock lock(bucket_mutex_);
  auto existing = index_->get_bucket(name);
  if (!existing) return existing.error();
  if (*existing) return make_error_code(errc::bucket_exists);
  bucket_info b{std::string(name), now_ns(), std::string(owner)};
  nlohmann::json j{{"name", b.name}, {"created_ns", b.created_ns}, {"owner", b.owner}};
  const std::string text = j.dump() + "\n";
  const std::string dir = layout::bucket_dir(name);
  auto rs = set_->run_each([&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    if (auto r = dk.make_dirs(layout::bucket_objects_dir(name)); !r) return r;
    if (auto r = dk.write_atomic(layout::bucket_marker(name), dir + "/bucket.json.tmp",
                                 std::as_bytes(std::span(text.data(), text.size())));
        !r)
      return r;
    return dk.sync_dir(layout::kBucketsDir);
  });
  if (count_ok(rs) < set_->write_quorum()) return make_error_code(errc::write_quorum_lost);
  if (auto r = index_->put_bucket(b); !r) return r.error();
  return b;
}

result<void> store_impl::delete_bucket(std::string_view name) {
  if (!valid_bucket_name(name)) return make_error_code(errc::bucket_not_found);
  std::unique_lock lock(bucket_mutex_);
  auto existing = index_->get_bucket(name);
  if (!existing) return existing.error();
  if (!*existing) return make_error_code(errc::bucket_not_found);
  auto busy = index_->bucket_has_entries(name);
  if (!busy) return busy.error();
  if (*busy) return make_error_code(errc::bucket_not_empty);
  const std::string op = layout::random_id();
  set_->run_each([&](std::size_t d) -> result<void> {
    disk& dk = set_->disk_at(d);
    if (auto r = dk.rename(layout::bucket_dir(name), layout::trash_dir(op)); !r) return r;
    return dk.sync_dir(layout::kBucketsDir);
  });
  if (auto r = index_->delete_settings(bucket_setting_prefix(name)); !r) return r;
  return index_->delete_bucket(name);
}

result<bucket_info> store_impl::head_bucket(std::string_view name) {
  if (!valid_bucket_name(name)) return make_error_code(errc::bucket_not_found);
  auto b = index_->get_bucket(name);
  if (!b) return b.error();
  if (!*b) return make_error_code(errc::bucket_not_found);
  return std::move(**b);
}

result<bucket_info> store_impl::head_bucket_cached(std::string_view name) {
  if (!valid_bucket_name(name)) return make_error_code(errc::bucket_not_found);
  auto b = index_->get_bucket(name, index_read::memory_only);
  if (!b) return b.error();
  if (!*b) return make_error_code(errc::bucket_not_found);
  return std::move(**b);
}

result<std::vector<bucket_info>> store_impl::list_buckets() {
  return index_->list_buckets();
}

}  // namespace kvgate::erasure
