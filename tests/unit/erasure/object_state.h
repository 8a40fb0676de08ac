// Assertions about what a store holds, shared by the reliability tests (crash,
// bitrot, degraded, replace-disk): "this key holds one of these contents",
// listing agrees with HEAD/GET, staging and trash are empty, and a one-part
// multipart upload as a single call.
//
// Lifetime: free functions over a store_fixture. Thread safety: none needed;
// each test drives its fixture from one thread.
#pragma once

#include <xxhash.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store_fixture.h"

namespace kvgate::test {

// Content of a key as the tests model it: nullopt means "does not exist".
using key_content = std::optional<std::string>;

inline std::string describe(const key_content& c) {
  if (!c) return "<absent>";
  char id[17];
  std::snprintf(id, sizeof id, "%08llx",
                static_cast<unsigned long long>(XXH3_64bits(c->data(), c->size()) >> 32));
  return "<" + std::to_string(c->size()) + " bytes " + id + ">";
}

// Reads `key` (HEAD, full GET and, for objects over 2 bytes, a ranged GET) and
// returns what it holds. Any failure other than not-found fails the test, as do
// HEAD and GET disagreeing.
inline key_content observe_key(store_fixture& f, const std::string& bucket,
                               const std::string& key) {
  auto head = f.store().head(bucket, key);
  if (!head) {
    INFO("HEAD " << key << ": " << head.error().message());
    REQUIRE(head.error() == er::errc::object_not_found);
    auto read = f.store().open_read(bucket, key, {});
    REQUIRE(!read);
    CHECK(read.error() == er::errc::object_not_found);
    return std::nullopt;
  }
  auto got = f.get(bucket, key);
  INFO("GET " << key << ": " << (got ? std::string("ok") : got.error().message()));
  REQUIRE(got);
  CHECK(got->size() == head->size);
  if (got->size() > 2) {
    const std::uint64_t first = got->size() / 3, last = got->size() - 2;
    auto part = f.get(bucket, key, er::byte_range{first, last});
    REQUIRE(part);
    CHECK(*part == got->substr(first, last - first + 1));
  }
  return *got;
}

// Asserts that `key` holds one of `allowed` and returns which content it holds.
inline key_content expect_one_of(store_fixture& f, const std::string& bucket,
                                 const std::string& key, const std::vector<key_content>& allowed) {
  key_content seen = observe_key(f, bucket, key);
  bool match = false;
  std::string expected;
  for (const key_content& a : allowed) {
    match = match || a == seen;
    expected += describe(a) + " ";
  }
  INFO("key " << key << " holds " << describe(seen) << ", allowed: " << expected);
  CHECK(match);
  return seen;
}

// Every key of a bucket, following continuation.
inline std::set<std::string> listed_keys(store_fixture& f, const std::string& bucket) {
  std::set<std::string> keys;
  er::list_params p;
  p.max_keys = 1000;
  for (;;) {
    auto page = f.store().list(bucket, p);
    REQUIRE(page);
    for (const auto& e : page->objects) keys.insert(e.key);
    if (!page->truncated) break;
    p.start_after = page->next_start_after;
  }
  return keys;
}

inline bool dir_is_empty(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) return true;
  return std::filesystem::directory_iterator(dir) == std::filesystem::directory_iterator();
}

// Staging and trash hold nothing on any disk (true right after a restart).
inline void check_staging_and_trash_empty(store_fixture& f) {
  for (const auto& p : f.paths()) {
    INFO("disk " << p.string());
    CHECK(dir_is_empty(p / ".kvgate" / "tmp"));
    CHECK(dir_is_empty(p / ".kvgate" / "trash"));
  }
}

// Which disks hold data shards of the only object in `bucket`: shard i lives
// on disk (i + rotation) % n with rotation = XXH3-64(key hash) % n, and the
// object directory is named by the key hash (docs/formats/erasure-layout.md).
inline std::vector<bool> data_disks(const store_fixture& f, const std::string& bucket, int k) {
  const int n = static_cast<int>(f.paths().size());
  const std::string hash = f.find_object_dir(0, bucket).filename().string();
  const auto rotation = static_cast<int>(XXH3_64bits(hash.data(), hash.size()) % n);
  std::vector<bool> out(n, false);
  for (int i = 0; i < k; ++i) out[(i + rotation) % n] = true;
  return out;
}

// Opens an upload for `key` and uploads `data` as its only part.
inline er::result<er::upload_info> start_one_part_upload(store_fixture& f,
                                                         const std::string& bucket,
                                                         const std::string& key,
                                                         const std::string& data) {
  auto u = f.store().create_upload(bucket, key, {}, "", "");
  if (!u) return u.error();
  auto w = f.store().begin_part(bucket, key, u->upload_id, 1, data.size());
  if (!w) return w.error();
  if (auto r = (*w)->write(std::as_bytes(std::span(data.data(), data.size()))); !r)
    return r.error();
  if (auto r = (*w)->commit("\"part-1\"", {}); !r) return r.error();
  return u;
}

inline er::result<er::object_info> complete_one_part_upload(store_fixture& f,
                                                            const std::string& bucket,
                                                            const std::string& key,
                                                            const std::string& upload_id) {
  return f.store().complete_upload(bucket, key, upload_id, {{1, "\"part-1\""}}, "\"mpu-1\"", {},
                                   {});
}

}  // namespace kvgate::test
