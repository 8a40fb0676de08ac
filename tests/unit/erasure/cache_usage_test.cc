// Usage accounting of the cache tier on a real store: exact through every kind
// of index change, and the same after a restart or a reindex.
#include <catch2/catch.hpp>

#include "cache_fixture.h"

using namespace kvgate::test;

namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;

void check_usage_matches_listing(cache_fixture& f, const std::vector<std::string>& buckets) {
  const er::capacity_report r = f.store().capacity_usage();
  std::uint64_t objects = 0, bytes = 0;
  for (const auto& b : buckets) {
    const er::usage_totals listed = f.listed_usage(b);
    const er::bucket_capacity reported = f.bucket_report(b);
    INFO("bucket " << b);
    CHECK(reported.usage.objects == listed.objects);
    CHECK(reported.usage.logical_bytes == listed.logical_bytes);
    // Stored bytes include parity (4+2 here): never less than the payload.
    CHECK(reported.usage.stored_bytes >= listed.logical_bytes * 6 / 4);
    objects += listed.objects;
    bytes += listed.logical_bytes;
  }
  CHECK(r.node.objects == objects);
  CHECK(r.node.logical_bytes == bytes);
  CHECK(r.node.reserved_bytes == 0);
  CHECK(r.node.reserved_objects == 0);
  auto info = f.store().info();
  REQUIRE(info);
  CHECK(info->objects == objects);
  CHECK(info->logical_bytes == bytes);
}

}  // namespace

TEST_CASE("usage follows puts, overwrites, deletes and multipart completes exactly", "[cache]") {
  er::capacity_config c;
  c.max_bytes = 1ull << 40;  // limited, so admission and reservations are exercised
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("bkt-a", "o"));
  REQUIRE(f.store().create_bucket("bkt-b", "o"));
  REQUIRE(f.put("bkt-a", "small", "tiny"));
  REQUIRE(f.put("bkt-a", "large", random_bytes(700 * kKiB, 1)));
  REQUIRE(f.put("bkt-b", "empty", ""));
  REQUIRE(f.put("bkt-b", "chunked", random_bytes(300 * kKiB, 2), false));
  check_usage_matches_listing(f, {"bkt-a", "bkt-b"});
  const auto stored_before = f.bucket_report("bkt-a").usage.stored_bytes;
  // Overwrites: larger, smaller, inline to streamed.
  REQUIRE(f.put("bkt-a", "small", random_bytes(200 * kKiB, 3)));
  REQUIRE(f.put("bkt-a", "large", "now small"));
  CHECK(f.bucket_report("bkt-a").usage.stored_bytes != stored_before);
  check_usage_matches_listing(f, {"bkt-a", "bkt-b"});
  // Deletes, including of absent keys.
  REQUIRE(f.store().remove("bkt-b", "empty"));
  REQUIRE(f.store().remove("bkt-b", "never-there"));
  check_usage_matches_listing(f, {"bkt-a", "bkt-b"});
  // Multipart over an existing key.
  auto u = f.store().create_upload("bkt-b", "chunked", {}, "", "");
  REQUIRE(u);
  std::vector<er::completed_part> parts;
  for (int n = 1; n <= 2; ++n) {
    const std::string p = random_bytes(n == 1 ? 5 * kMiB : 123 * kKiB, 10 + n);
    auto w = f.store().begin_part("bkt-b", "chunked", u->upload_id, n, p.size());
    REQUIRE(w);
    REQUIRE((*w)->write(std::as_bytes(std::span(p.data(), p.size()))));
    auto info = (*w)->commit("\"p\"", {});
    REQUIRE(info);
    parts.push_back({n, info->etag});
  }
  check_usage_matches_listing(f, {"bkt-a", "bkt-b"});  // parts in progress are not objects
  REQUIRE(f.store().complete_upload("bkt-b", "chunked", u->upload_id, parts, "\"m-2\"", {}, {}));
  check_usage_matches_listing(f, {"bkt-a", "bkt-b"});
  CHECK(f.bucket_report("bkt-b").usage.logical_bytes == 5 * kMiB + 123 * kKiB);
  // Failed writes leave nothing counted.
  er::commit_conditions exists;
  exists.if_none_match_star = true;
  {
    er::put_options po;
    po.size = 10;
    auto w = f.store().begin_put("bkt-a", "small", po);
    REQUIRE(w);
    REQUIRE((*w)->write(std::as_bytes(std::span("0123456789", 10))));
    CHECK((*w)->commit("\"e\"", {}, exists).error() == er::errc::precondition_failed);
  }
  {
    er::put_options po;
    po.size = 100;
    auto w = f.store().begin_put("bkt-a", "abandoned", po);
    REQUIRE(w);
    CHECK(f.store().capacity_usage().node.reserved_bytes == 100);
  }
  check_usage_matches_listing(f, {"bkt-a", "bkt-b"});
}

TEST_CASE("usage and recency survive close and reopen, and a reindex", "[cache]") {
  er::capacity_config c;
  c.background_eviction = false;
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("bkt-a", "o"));
  for (int i = 0; i < 6; ++i)
    REQUIRE(f.put("bkt-a", "k" + std::to_string(i), random_bytes(150 * kKiB + i, i)));
  REQUIRE(f.put("bkt-a", "k0", random_bytes(10, 99)));  // k0 is now the newest write
  REQUIRE(f.store().remove("bkt-a", "k5"));
  const er::capacity_report before = f.store().capacity_usage();

  f.reopen();
  er::capacity_report after = f.store().capacity_usage();
  CHECK(after.node.objects == before.node.objects);
  CHECK(after.node.logical_bytes == before.node.logical_bytes);
  CHECK(after.node.stored_bytes == before.node.stored_bytes);
  check_usage_matches_listing(f, {"bkt-a"});

  // Recency after a restart follows the last write: k1 is oldest, k0 newest.
  er::capacity_config limited = f.store().capacity();
  limited.max_bytes = after.node.logical_bytes - 1;
  limited.high_watermark = limited.low_watermark = 1.0;
  REQUIRE(f.store().set_capacity(limited));
  CHECK(f.store().evict_now().value() == 1);
  CHECK(f.store().head("bkt-a", "k1").error() == er::errc::object_not_found);
  CHECK(f.store().head("bkt-a", "k0"));

  REQUIRE(f.store().reindex({}));
  check_usage_matches_listing(f, {"bkt-a"});
  f.reopen();
  check_usage_matches_listing(f, {"bkt-a"});
  CHECK(f.store().capacity().max_bytes == 0);  // run-time limits are not persisted
}

TEST_CASE("heal of a damaged object keeps usage exact", "[cache]") {
  cache_fixture f({});
  REQUIRE(f.store().create_bucket("bkt-a", "o"));
  const std::string data = random_bytes(600 * kKiB, 5);
  REQUIRE(f.put("bkt-a", "k", data));
  REQUIRE(f.put("bkt-a", "j", "inline"));
  // Lose one disk's copy of everything behind the engine's back.
  std::filesystem::remove_all(f.paths()[1] / "buckets" / "bkt-a" / "obj");
  auto h = f.store().heal_object("bkt-a", "k");
  REQUIRE(h);
  CHECK(h->readable);
  REQUIRE(f.store().heal_all("", {}, {}));
  check_usage_matches_listing(f, {"bkt-a"});
  CHECK(f.get("bkt-a", "k").value() == data);
}
