// The lifecycle / TTL worker on a real store with an injected clock:
// Expiration Days by prefix, disabled rules, AbortIncompleteMultipartUpload,
// the bucket default TTL, an overwrite that restarts the clock, and passes
// bounded by the batch size.
#include "kvgate/s3/lifecycle_worker.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <span>
#include <string>

#include "../erasure/temp_dir.h"
#include "kvgate/s3/cache_policy.h"

namespace er = kvgate::erasure;
using namespace kvgate::s3;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

struct fixture {
  kvgate::test::temp_dir dir;
  std::shared_ptr<std::atomic<std::int64_t>> now =
      std::make_shared<std::atomic<std::int64_t>>(1000 * kSecond);
  std::shared_ptr<er::store> store;

  fixture() {
    er::store_options o;
    for (int i = 1; i <= 4; ++i) o.disk_paths.push_back(dir.path() / ("disk" + std::to_string(i)));
    o.background_heal = false;
    o.capacity.background_eviction = false;
    o.clock_ns = [n = now] { return n->load(); };
    auto opened = er::store::open(std::move(o));
    REQUIRE(opened.has_value());
    store = std::move(*opened);
  }

  void put(const std::string& bucket, const std::string& key) {
    er::put_options po;
    po.size = key.size();
    auto w = store->begin_put(bucket, key, po);
    REQUIRE(w.has_value());
    REQUIRE((*w)->write(std::as_bytes(std::span(key.data(), key.size()))).has_value());
    REQUIRE((*w)->commit("\"e\"", {}, {}).has_value());
  }

  bool exists(const std::string& bucket, const std::string& key) {
    return store->head(bucket, key).has_value();
  }

  lifecycle_options options(std::uint32_t batch) {
    lifecycle_options o;
    o.background = false;
    o.batch = batch;
    o.day_seconds = 10;
    o.clock_ns = [n = now] { return n->load(); };
    return o;
  }

  // Runs passes until a walk over every bucket finished; returns the passes.
  static int finish_walk(lifecycle_worker& w) {
    int passes = 1;
    while (!w.run_pass()) ++passes;
    return passes;
  }
};

constexpr std::string_view kRules =
    "<LifecycleConfiguration>"
    "<Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>"
    "<Expiration><Days>1</Days></Expiration></Rule>"
    "<Rule><ID>off</ID><Filter><Prefix>keep/</Prefix></Filter><Status>Disabled</Status>"
    "<Expiration><Days>1</Days></Expiration></Rule>"
    "<Rule><ID>uploads</ID><Filter/><Status>Enabled</Status>"
    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation>"
    "</AbortIncompleteMultipartUpload></Rule>"
    "</LifecycleConfiguration>";

}  // namespace

TEST_CASE("lifecycle rules expire objects and abort uploads on the injected clock",
          "[s3][lifecycle]") {
  fixture fx;
  REQUIRE(fx.store->create_bucket("logs", "root").has_value());
  REQUIRE(fx.store->create_bucket("other", "root").has_value());
  for (const char* key : {"tmp/a", "tmp/b", "tmp/c", "keep/d", "root-e"}) fx.put("logs", key);
  fx.put("other", "tmp/a");  // no rules there
  auto upload = fx.store->create_upload("logs", "big", {}, "", "");
  REQUIRE(upload.has_value());
  REQUIRE(fx.store->put_setting(lifecycle_setting("logs"), kRules).has_value());

  lifecycle_worker worker(fx.store, fx.options(2));
  fx.now->store(1009 * kSecond);  // day 0.9: nothing yet
  fixture::finish_walk(worker);
  CHECK(fx.exists("logs", "tmp/a"));
  CHECK(worker.stats().expired_objects == 0u);

  fx.put("logs", "tmp/c");  // rewritten at 1009 s: its day starts again
  fx.now->store(1011 * kSecond);
  const int passes = fixture::finish_walk(worker);
  CHECK(passes > 1);  // 5 objects and an upload at 2 per pass
  CHECK_FALSE(fx.exists("logs", "tmp/a"));
  CHECK_FALSE(fx.exists("logs", "tmp/b"));
  CHECK(fx.exists("logs", "tmp/c"));
  CHECK(fx.exists("logs", "keep/d"));  // disabled rule
  CHECK(fx.exists("logs", "root-e"));  // no matching rule
  CHECK(fx.exists("other", "tmp/a"));
  CHECK(fx.store->get_upload("logs", "big", upload->upload_id).has_value());
  CHECK(worker.stats().expired_objects == 2u);
  CHECK(worker.stats().expired_bytes == 10u);

  fx.now->store(1021 * kSecond);
  fixture::finish_walk(worker);
  CHECK_FALSE(fx.exists("logs", "tmp/c"));
  CHECK(fx.store->get_upload("logs", "big", upload->upload_id).error() ==
        er::errc::upload_not_found);
  CHECK(worker.stats().aborted_uploads == 1u);
  CHECK(worker.stats().errors == 0u);
}

TEST_CASE("a bucket's default TTL expires objects after their last write", "[s3][lifecycle]") {
  fixture fx;
  REQUIRE(fx.store->create_bucket("kv-cache", "root").has_value());
  REQUIRE(fx.store->create_bucket("plain", "root").has_value());
  fx.put("kv-cache", "seg-1");
  fx.put("plain", "seg-1");
  cache_policy_keeper keeper(fx.store);
  cache_policy_change change;
  change.buckets["kv-cache"].default_ttl_seconds = 5;
  REQUIRE(keeper.change(change).has_value());

  lifecycle_worker worker(fx.store, fx.options(1000));
  fx.now->store(1004 * kSecond);
  CHECK(worker.run_pass());
  CHECK(fx.exists("kv-cache", "seg-1"));
  fx.now->store(1005 * kSecond);
  CHECK(worker.run_pass());
  CHECK_FALSE(fx.exists("kv-cache", "seg-1"));
  CHECK(fx.exists("plain", "seg-1"));
  CHECK(worker.stats().cycles == 2u);
}

TEST_CASE("abandoned uploads are aborted in every bucket, with or without rules",
          "[s3][lifecycle]") {
  fixture fx;
  REQUIRE(fx.store->create_bucket("kv-cache", "root").has_value());
  REQUIRE(fx.store->create_bucket("ruled", "root").has_value());
  REQUIRE(fx.store->put_setting(lifecycle_setting("ruled"), kRules).has_value());
  auto plain = fx.store->create_upload("kv-cache", "seg/1", {}, "", "");
  auto ruled = fx.store->create_upload("ruled", "seg/2", {}, "", "");
  REQUIRE(plain.has_value());
  REQUIRE(ruled.has_value());
  fx.put("kv-cache", "seg/0");  // objects are untouched: the setting is about uploads

  auto o = fx.options(1000);
  o.abandoned_upload_seconds = 15;  // shorter than the rule's 2 days (20 s here)
  lifecycle_worker worker(fx.store, std::move(o));
  fx.now->store(1014 * kSecond);
  fixture::finish_walk(worker);
  CHECK(fx.store->get_upload("kv-cache", "seg/1", plain->upload_id).has_value());
  CHECK(fx.store->get_upload("ruled", "seg/2", ruled->upload_id).has_value());

  fx.now->store(1015 * kSecond);
  auto fresh = fx.store->create_upload("kv-cache", "seg/3", {}, "", "");  // created now
  REQUIRE(fresh.has_value());
  fixture::finish_walk(worker);
  CHECK(fx.store->get_upload("kv-cache", "seg/1", plain->upload_id).error() ==
        er::errc::upload_not_found);
  CHECK(fx.store->get_upload("ruled", "seg/2", ruled->upload_id).error() ==
        er::errc::upload_not_found);
  CHECK(fx.store->get_upload("kv-cache", "seg/3", fresh->upload_id).has_value());
  CHECK(fx.exists("kv-cache", "seg/0"));
  CHECK(worker.stats().aborted_uploads == 2u);
  CHECK(worker.stats().expired_objects == 0u);
  CHECK(worker.stats().errors == 0u);
}

TEST_CASE("the background worker stops promptly when destroyed", "[s3][lifecycle]") {
  fixture fx;
  lifecycle_options o = fx.options(10);
  o.background = true;
  o.interval = std::chrono::seconds(3600);
  const auto start = std::chrono::steady_clock::now();
  { lifecycle_worker worker(fx.store, o); }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
