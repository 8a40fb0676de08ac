// Quotas and capacity limits on a real store: what a write is told before and
// at commit, for no-evict and evictable buckets, and limits changed at run time.
#include <catch2/catch.hpp>

#include "cache_fixture.h"

using namespace kvgate::test;

namespace {

constexpr std::size_t kKiB = 1024;

er::capacity_config no_background() {
  er::capacity_config c;
  c.background_eviction = false;
  return c;
}

}  // namespace

TEST_CASE("a no-evict bucket refuses writes past its quota and evicts nothing", "[cache]") {
  er::capacity_config c = no_background();
  c.buckets["pinned"] = er::bucket_policy{1000 * kKiB, 0, true};
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("pinned", "o"));
  const std::string a = random_bytes(400 * kKiB, 1), b = random_bytes(400 * kKiB, 2);
  REQUIRE(f.put("pinned", "a", a));
  REQUIRE(f.put("pinned", "b", b));
  const std::string big = random_bytes(300 * kKiB, 3);

  // Before the body (the gateway's check before 100 Continue).
  auto check = f.store().check_write("pinned", "c", big.size());
  REQUIRE_FALSE(check);
  CHECK(check.error() == er::errc::quota_exceeded);
  CHECK(f.store().check_write("pinned", "c", 200 * kKiB));
  // A declared size is refused at begin_put.
  er::put_options po;
  po.size = big.size();
  auto w = f.store().begin_put("pinned", "c", po);
  REQUIRE_FALSE(w);
  CHECK(w.error() == er::errc::quota_exceeded);
  // An unknown size (aws-chunked) is refused at commit, leaving nothing behind.
  auto put = f.put("pinned", "c", big, false);
  REQUIRE_FALSE(put);
  CHECK(put.error() == er::errc::quota_exceeded);
  CHECK(f.store().head("pinned", "c").error() == er::errc::object_not_found);
  // Larger than the whole quota.
  CHECK(f.store().check_write("pinned", "huge", 1001 * kKiB).error() == er::errc::quota_exceeded);

  CHECK(f.get("pinned", "a").value() == a);
  CHECK(f.get("pinned", "b").value() == b);
  const er::capacity_report r = f.store().capacity_usage();
  CHECK(r.refused_quota >= 4);
  for (const auto& e : r.evicted) CHECK(e.objects == 0);
  CHECK(r.node.reserved_bytes == 0);
}

TEST_CASE("an evictable bucket over its quota makes room by evicting its oldest objects",
          "[cache]") {
  er::capacity_config c = no_background();
  c.buckets["lru"] = er::bucket_policy{1000 * kKiB, 0, false};
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("lru", "o"));
  REQUIRE(f.store().create_bucket("free", "o"));
  std::vector<std::string> data;
  for (int i = 0; i < 4; ++i) {
    data.push_back(random_bytes(240 * kKiB, 10 + i));
    REQUIRE(f.put("lru", "k" + std::to_string(i), data.back()));
  }
  REQUIRE(f.put("free", "other", random_bytes(240 * kKiB, 99)));
  REQUIRE(f.store().head("lru", "k0"));  // k0 is now more recent than k1
  const std::string next = random_bytes(240 * kKiB, 20);
  REQUIRE(f.store().check_write("lru", "k4", next.size()));
  REQUIRE(f.put("lru", "k4", next));  // 5 * 240 > 1000: k1 must go
  CHECK(f.store().head("lru", "k1").error() == er::errc::object_not_found);
  CHECK(f.get("lru", "k0").value() == data[0]);
  CHECK(f.get("lru", "k4").value() == next);
  CHECK(f.store().head("free", "other"));  // another bucket's quota is not its business
  const er::capacity_report r = f.store().capacity_usage();
  const auto& by_bytes = r.evicted[static_cast<std::size_t>(er::eviction_reason::bucket_bytes)];
  CHECK(by_bytes.objects == 1);
  CHECK(by_bytes.bytes == 240 * kKiB);
  CHECK(r.inline_evictions == 1);
  CHECK(f.bucket_report("lru").usage.logical_bytes == 4 * 240 * kKiB);
}

TEST_CASE("an object count quota evicts in an evictable bucket and refuses in a no-evict one",
          "[cache]") {
  er::capacity_config c = no_background();
  c.buckets["lru"] = er::bucket_policy{0, 3, false};
  c.buckets["keep"] = er::bucket_policy{0, 3, true};
  cache_fixture f(c);
  for (const char* b : {"lru", "keep"}) {
    REQUIRE(f.store().create_bucket(b, "o"));
    for (int i = 0; i < 3; ++i) REQUIRE(f.put(b, "k" + std::to_string(i), "small"));
  }
  REQUIRE(f.put("lru", "k3", "new"));
  CHECK(f.store().head("lru", "k0").error() == er::errc::object_not_found);
  CHECK(f.listed_usage("lru").objects == 3);
  CHECK(f.put("keep", "k3", "new").error() == er::errc::quota_exceeded);
  REQUIRE(f.put("keep", "k2", "overwrite adds no object"));
  CHECK(f.listed_usage("keep").objects == 3);
  const auto r = f.store().capacity_usage();
  CHECK(r.evicted[static_cast<std::size_t>(er::eviction_reason::bucket_objects)].objects == 1);
}

TEST_CASE("node capacity evicts from evictable buckets and refuses when only no-evict data is left",
          "[cache]") {
  er::capacity_config c = no_background();
  c.max_bytes = 1000 * kKiB;
  c.buckets["keep"] = er::bucket_policy{0, 0, true};
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("keep", "o"));
  REQUIRE(f.store().create_bucket("lru", "o"));
  REQUIRE(f.put("keep", "a", random_bytes(500 * kKiB, 1)));
  REQUIRE(f.put("lru", "b", random_bytes(300 * kKiB, 2)));
  // Needs 100 KiB: only lru/b can go.
  REQUIRE(f.put("keep", "c", random_bytes(300 * kKiB, 3)));
  CHECK(f.store().head("lru", "b").error() == er::errc::object_not_found);
  CHECK(f.store().head("keep", "a"));
  // 800 KiB of no-evict data: 300 more cannot be had.
  auto refused = f.store().check_write("lru", "d", 300 * kKiB);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == er::capacity_errc::insufficient_capacity);
  CHECK(f.put("lru", "d", random_bytes(300 * kKiB, 4)).error() ==
        er::capacity_errc::insufficient_capacity);
  CHECK(f.store().check_write("lru", "d", 1001 * kKiB).error() ==
        er::capacity_errc::insufficient_capacity);
  CHECK(f.store().capacity_usage().refused_capacity >= 3);
  CHECK(refused.error().message().find("capacity") != std::string::npos);
}

TEST_CASE("limits change at run time: lowered limits evict down to the low watermark", "[cache]") {
  cache_fixture f(no_background());
  REQUIRE(f.store().create_bucket("bkt-b", "o"));
  for (int i = 0; i < 10; ++i)
    REQUIRE(f.put("bkt-b", "k" + std::to_string(i), random_bytes(100 * kKiB, i)));
  CHECK(f.store().evict_now().value() == 0);

  er::capacity_config c = f.store().capacity();
  c.max_bytes = 800 * kKiB;
  c.high_watermark = 0.9;
  c.low_watermark = 0.5;
  REQUIRE(f.store().set_capacity(c));
  CHECK(f.store().capacity().max_bytes == 800 * kKiB);
  CHECK(f.store().evict_now().value() == 6);  // 1000 KiB down to 400 KiB
  for (int i = 0; i < 6; ++i)
    CHECK(f.store().head("bkt-b", "k" + std::to_string(i)).error() == er::errc::object_not_found);
  CHECK(f.store().capacity_usage().node.logical_bytes == 400 * kKiB);

  f.store().set_bucket_policy("bkt-b", er::bucket_policy{0, 0, true});
  CHECK(f.store().check_write("bkt-b", "x", 500 * kKiB).error() ==
        er::capacity_errc::insufficient_capacity);
  f.store().set_bucket_policy("bkt-b", std::nullopt);
  CHECK(f.store().check_write("bkt-b", "x", 500 * kKiB));

  c.low_watermark = 0.95;
  CHECK(f.store().set_capacity(c).error() == er::errc::invalid_argument);
}

TEST_CASE("multipart: parts are not evicted, completion is admitted like a put", "[cache]") {
  constexpr std::size_t kMiB = 1024 * 1024;
  er::capacity_config c = no_background();
  c.buckets["keep"] = er::bucket_policy{8 * kMiB, 0, true};
  c.buckets["lru"] = er::bucket_policy{8 * kMiB, 0, false};
  cache_fixture f(c);
  for (const char* b : {"keep", "lru"}) {
    REQUIRE(f.store().create_bucket(b, "o"));
    REQUIRE(f.put(b, "old", random_bytes(3 * kMiB, 7)));
  }
  auto upload = [&](const std::string& bucket) -> er::result<er::object_info> {
    auto u = f.store().create_upload(bucket, "mp", {}, "", "");
    REQUIRE(u);
    const std::string p1 = random_bytes(5 * kMiB, 1), p2 = random_bytes(kMiB, 2);
    std::vector<er::completed_part> parts;
    for (int n = 1; n <= 2; ++n) {
      const std::string& p = n == 1 ? p1 : p2;
      auto w = f.store().begin_part(bucket, "mp", u->upload_id, n, p.size());
      REQUIRE(w);
      REQUIRE((*w)->write(std::as_bytes(std::span(p.data(), p.size()))));
      auto info = (*w)->commit("\"p" + std::to_string(n) + "\"", {});
      REQUIRE(info);
      parts.push_back({n, info->etag});
    }
    return f.store().complete_upload(bucket, "mp", u->upload_id, parts, "\"mp-2\"", {}, {});
  };
  // 3 + 6 MiB > 8 MiB.
  CHECK(upload("keep").error() == er::errc::quota_exceeded);
  CHECK(f.store().head("keep", "old"));
  REQUIRE(upload("lru"));
  CHECK(f.store().head("lru", "old").error() == er::errc::object_not_found);
  CHECK(f.bucket_report("lru").usage.logical_bytes == 6 * kMiB);
  CHECK(f.bucket_report("lru").usage.objects == 1);
  CHECK(f.store().capacity_usage().node.reserved_bytes == 0);
}
