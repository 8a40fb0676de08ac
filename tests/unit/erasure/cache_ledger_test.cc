// The cache ledger alone: usage mirror, admission math, reservations,
// watermarks and least-recently-used candidate order (no disks).
#include "cache_ledger.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "result_string_maker.h"

namespace er = kvgate::erasure;

namespace {

er::object_footprint fp(std::uint64_t size) {
  return {size, size * 3 / 2};
}

void put(er::cache_ledger& l, const std::string& bucket, const std::string& key, std::uint64_t size,
         std::int64_t at, std::optional<std::uint64_t> previous = {}) {
  std::optional<er::object_footprint> before;
  if (previous) before = fp(*previous);
  static_cast<void>(l.record_put(bucket, key, "d-" + key, fp(size), before, at));
}

std::vector<std::string> keys(const std::vector<er::eviction_candidate>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.bucket + "/" + c.key);
  return out;
}

}  // namespace

TEST_CASE("the ledger counts puts, overwrites and removes per bucket and node-wide", "[cache]") {
  er::cache_ledger l({});
  put(l, "a", "x", 100, 1);
  put(l, "a", "y", 50, 2);
  put(l, "b", "z", 7, 3);
  put(l, "a", "x", 30, 4, 100);  // overwrite
  l.record_remove("a", "y", fp(50));
  const er::capacity_report r = l.report();
  CHECK(r.node.objects == 2);
  CHECK(r.node.logical_bytes == 37);
  CHECK(r.node.stored_bytes == 45 + 10);
  REQUIRE(r.buckets.size() == 2);
  CHECK(r.buckets[0].bucket == "a");
  CHECK(r.buckets[0].usage.objects == 1);
  CHECK(r.buckets[0].usage.logical_bytes == 30);
  CHECK(r.buckets[1].usage.logical_bytes == 7);
  CHECK(r.oldest_access_ns == 3);  // b/z (a/x was rewritten at 4)
  l.clear_objects();
  CHECK(l.node_usage().objects == 0);
  CHECK(l.node_usage().logical_bytes == 0);
}

TEST_CASE("without limits every write is admitted", "[cache]") {
  er::cache_ledger l({});
  CHECK_FALSE(l.limited());
  put(l, "a", "x", 1ull << 40, 1);
  CHECK(l.assess("a", 1ull << 40, true).fits());
  CHECK(l.pressure().empty());
}

TEST_CASE("admission: fits, fits after eviction, or is refused with the limit's error", "[cache]") {
  er::capacity_config c;
  c.max_bytes = 1000;
  c.buckets["keep"] = er::bucket_policy{500, 0, true};
  c.buckets["lru"] = er::bucket_policy{400, 3, false};
  er::cache_ledger l(c);
  put(l, "keep", "k1", 300, 1);
  put(l, "lru", "l1", 200, 2);
  put(l, "lru", "l2", 100, 3);
  put(l, "other", "o1", 250, 4);  // node: 850 of 1000

  SECTION("a write that fits everywhere") {
    CHECK(l.assess("other", 100, true).fits());
  }
  SECTION("a no-evict bucket refuses past its quota") {
    CHECK(l.assess("keep", 150, true).fits());  // 450 of 500; node 1000 of 1000
    const er::admission a = l.assess("keep", 201, true);
    CHECK(a.refusal == er::errc::quota_exceeded);
  }
  SECTION("an object larger than the bucket quota is refused even when evictable") {
    CHECK(l.assess("lru", 401, true).refusal == er::errc::quota_exceeded);
  }
  SECTION("an object larger than the node limit is refused") {
    CHECK(l.assess("other", 1001, true).refusal == er::capacity_errc::insufficient_capacity);
  }
  SECTION("an evictable bucket over its byte quota needs eviction from itself") {
    const er::admission a = l.assess("lru", 250, true);
    REQUIRE_FALSE(a.refusal);
    REQUIRE(a.needs.size() == 1);
    CHECK(a.needs[0].bucket == "lru");
    CHECK(a.needs[0].reason == er::eviction_reason::bucket_bytes);
    CHECK(a.needs[0].bytes == 150);  // 300 + 250 - 400; frees node room as well
  }
  SECTION("the object count quota counts new keys only") {
    put(l, "lru", "l3", 10, 5);
    const er::admission a = l.assess("lru", 10, true);
    REQUIRE(a.needs.size() == 1);
    CHECK(a.needs[0].reason == er::eviction_reason::bucket_objects);
    CHECK(a.needs[0].objects == 1);
    CHECK(l.assess("lru", 10, false).fits());  // an overwrite adds no object
  }
  SECTION("node pressure evicts from evictable buckets only") {
    const er::admission a = l.assess("keep", 190, true);  // 850 + 190 > 1000
    REQUIRE(a.needs.size() == 1);
    CHECK(a.needs[0].bucket.empty());
    CHECK(a.needs[0].bytes == 40);
    for (const auto& k : keys(l.candidates(a.needs[0], 10))) CHECK(k.rfind("keep/", 0) != 0);
  }
  SECTION("node capacity held by no-evict data refuses") {
    er::capacity_config tight = c;
    tight.max_bytes = 400;
    tight.buckets["lru"].no_evict = true;
    tight.buckets["other"] = er::bucket_policy{0, 0, true};
    l.set_config(tight);
    CHECK(l.assess("lru", 10, true).refusal == er::capacity_errc::insufficient_capacity);
  }
}

TEST_CASE("reservations count against limits until released", "[cache]") {
  er::capacity_config c;
  c.max_bytes = 1000;
  er::cache_ledger l(c);
  er::admission a;
  auto r1 = l.try_reserve("b", 600, true, a);
  REQUIRE(r1);
  CHECK(l.node_usage().reserved_bytes == 600);
  auto r2 = l.try_reserve("b", 600, true, a);
  CHECK_FALSE(r2);
  CHECK(a.refusal == er::capacity_errc::insufficient_capacity);  // nothing committed to evict
  put(l, "b", "x", 600, 1);                                      // the first write commits...
  r1->release();                                                 // ...and its reservation ends
  CHECK(l.node_usage().reserved_bytes == 0);
  auto r3 = l.try_reserve("b", 600, true, a);
  CHECK_FALSE(r3);
  REQUIRE(a.needs.size() == 1);
  CHECK(a.needs[0].bytes == 200);
  {
    auto moved = l.try_reserve("b", 100, true, a);
    REQUIRE(moved);
    er::cache_ledger::reservation held = std::move(*moved);
    CHECK(l.node_usage().reserved_bytes == 100);
  }
  CHECK(l.node_usage().reserved_bytes == 0);
}

TEST_CASE("pressure starts above the high watermark and aims at the low one", "[cache]") {
  er::capacity_config c;
  c.max_bytes = 1000;
  c.high_watermark = 0.9;
  c.low_watermark = 0.5;
  c.buckets["q"] = er::bucket_policy{0, 4, false};
  er::cache_ledger l(c);
  put(l, "b", "x", 900, 1);
  CHECK(l.pressure().empty());
  put(l, "b", "y", 1, 2);
  auto p = l.pressure();
  REQUIRE(p.size() == 1);
  CHECK(p[0].bucket.empty());
  CHECK(p[0].bytes == 401);
  for (int i = 0; i < 4; ++i) put(l, "q", "k" + std::to_string(i), 0, 3 + i);
  p = l.pressure();
  REQUIRE(p.size() == 2);
  CHECK(p[0].bucket == "q");
  CHECK(p[0].reason == er::eviction_reason::bucket_objects);
  CHECK(p[0].objects == 2);  // 4 > floor(3.6); down to 2
}

TEST_CASE("candidates come least recently used first, a touch makes an object recent", "[cache]") {
  er::cache_ledger l({});
  for (int i = 0; i < 40; ++i) put(l, i % 2 ? "a" : "b", "k" + std::to_string(i), 1, 100 + i);
  l.touch("b", "k0", 1000);
  l.touch("a", "k1", 1001);
  const er::eviction_need node{er::eviction_reason::node_bytes, {}, 1, 0};
  auto c = keys(l.candidates(node, 3));
  CHECK(c == std::vector<std::string>{"b/k2", "a/k3", "b/k4"});
  auto all = l.candidates(node, 100);
  REQUIRE(all.size() == 40);
  CHECK(all[38].key == "k0");
  CHECK(all[39].key == "k1");
  const er::eviction_need in_a{er::eviction_reason::bucket_bytes, "a", 1, 0};
  CHECK(keys(l.candidates(in_a, 2)) == std::vector<std::string>{"a/k3", "a/k5"});
}

TEST_CASE("recency loaded out of order is sorted by access time", "[cache]") {
  er::cache_ledger l({});
  for (int i = 0; i < 50; ++i) put(l, "b", "k" + std::to_string(i), 1, 1000 - i * 7 % 50);
  l.finish_load();
  auto all = l.candidates({er::eviction_reason::node_bytes, {}, 1, 0}, 50);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].access_ns <= all[i].access_ns);
}

TEST_CASE("watermarks outside 0 < low <= high <= 1 are refused", "[cache]") {
  er::capacity_config c;
  CHECK(er::cache_ledger::validate(c));
  c.low_watermark = 0.95;
  CHECK(er::cache_ledger::validate(c).error() == er::errc::invalid_argument);
  c.low_watermark = 0;
  CHECK_FALSE(er::cache_ledger::validate(c));
  c.low_watermark = 0.5;
  c.high_watermark = 1.5;
  CHECK_FALSE(er::cache_ledger::validate(c));
}

TEST_CASE("the ledger under many threads: counts stay exact, reservations balance",
          "[cache][concurrency]") {
  er::capacity_config c;
  c.max_bytes = 1 << 20;
  c.buckets["q"] = er::bucket_policy{1 << 18, 100, false};
  er::cache_ledger l(c);
  constexpr int kThreads = 4, kKeys = 200, kRounds = 2000;
  std::atomic<int> reserved{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Each thread owns its keys (the store's key lock), so puts and removes
      // of one key never race; touches, reservations and queries do.
      const std::string bucket = t % 2 ? "q" : "other";
      std::vector<bool> present(kKeys, false);
      for (int i = 0; i < kRounds; ++i) {
        const int k = (i * 7 + t) % kKeys;
        const std::string key = "t" + std::to_string(t) + "-" + std::to_string(k);
        if (!present[k]) {
          static_cast<void>(l.record_put(bucket, key, "d", fp(100), std::nullopt, i));
          present[k] = true;
        } else if (i % 3 == 0) {
          l.record_remove(bucket, key, fp(100));
          present[k] = false;
        } else {
          l.touch(bucket, key, i);
        }
        er::admission a;
        if (auto r = l.try_reserve(bucket, 10, true, a)) {
          ++reserved;
          er::cache_ledger::reservation held = std::move(*r);
          static_cast<void>(l.record_put(bucket, key + "-r", "d", fp(10), std::nullopt, i, &held));
          l.record_remove(bucket, key + "-r", fp(10));
        }
        if (i % 50 == 0) {
          static_cast<void>(l.pressure());
          static_cast<void>(l.candidates({er::eviction_reason::node_bytes, {}, 1, 0}, 8));
          static_cast<void>(l.report());
        }
        if (i % 500 == 0) l.set_bucket_policy("q", er::bucket_policy{1 << 18, 100, i % 1000 == 0});
      }
      for (int k = 0; k < kKeys; ++k)
        if (present[k])
          l.record_remove(bucket, "t" + std::to_string(t) + "-" + std::to_string(k), fp(100));
    });
  for (auto& th : threads) th.join();
  const er::usage_totals u = l.node_usage();
  CHECK(u.objects == 0);
  CHECK(u.logical_bytes == 0);
  CHECK(u.reserved_bytes == 0);
  CHECK(u.reserved_objects == 0);
  CHECK(reserved > 0);
  CHECK(l.candidates({er::eviction_reason::node_bytes, {}, 1, 0}, 8).empty());
}
