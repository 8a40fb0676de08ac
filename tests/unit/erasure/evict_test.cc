// Eviction on a real store: a mixed workload under a tight limit, readers and
// writers in progress during eviction, the background evictor's watermarks,
// and many threads at once (tagged for TSan).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "cache_fixture.h"

using namespace kvgate::test;

namespace {

constexpr std::size_t kKiB = 1024;

std::uint64_t evicted_objects(const er::capacity_report& r) {
  std::uint64_t n = 0;
  for (const auto& e : r.evicted) n += e.objects;
  return n;
}

}  // namespace

TEST_CASE("eviction under a tight limit with a mixed workload keeps hot objects and exact bytes",
          "[cache]") {
  constexpr std::uint64_t kLimit = 4 * 1024 * kKiB;
  constexpr std::uint64_t kLargest = 260 * kKiB;
  er::capacity_config c;
  c.max_bytes = kLimit;
  c.high_watermark = 0.9;
  c.low_watermark = 0.7;
  c.buckets["meta"] = er::bucket_policy{0, 0, true};
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("kvseg", "o"));
  REQUIRE(f.store().create_bucket("meta", "o"));

  std::map<std::string, std::string> expected;  // every key written and not deleted
  std::vector<std::string> cold;
  const std::vector<std::string> hot = {"hot-0", "hot-1", "hot-2", "hot-3"};
  for (std::size_t i = 0; i < hot.size(); ++i) {
    expected["kvseg/" + hot[i]] = random_bytes(200 * kKiB, 1000 + i);
    REQUIRE(f.put("kvseg", hot[i], expected["kvseg/" + hot[i]]));
  }
  for (int i = 0; i < 4; ++i) {
    const std::string k = "m" + std::to_string(i);
    expected["meta/" + k] = random_bytes(20 * kKiB, 2000 + i);
    REQUIRE(f.put("meta", k, expected["meta/" + k]));
  }
  std::mt19937_64 rng(42);
  std::uint64_t peak = 0;
  auto observe = [&] {
    const er::capacity_report r = f.store().capacity_usage();
    peak = std::max(peak, r.node.logical_bytes);
    CHECK(r.node.logical_bytes <= kLimit + kLargest);
  };
  for (int round = 0; round < 120; ++round) {
    // A new segment: mostly streamed sizes, some inline ones.
    const std::size_t size = round % 6 == 0 ? 1 + rng() % (100 * kKiB)
                                            : 160 * kKiB + rng() % (kLargest - 160 * kKiB + 1);
    const std::string key = "seg-" + std::to_string(round);
    expected["kvseg/" + key] = random_bytes(size, round);
    auto put = f.put("kvseg", key, expected["kvseg/" + key], round % 10 != 3);
    REQUIRE(put);
    cold.push_back(key);
    observe();
    // The hot set is used all the time (LMCache HEADs, then GETs).
    for (const auto& h : hot) REQUIRE(f.store().head("kvseg", h));
    if (round % 4 == 0) {
      const std::string& h = hot[static_cast<std::size_t>(round / 4) % hot.size()];
      CHECK(f.get("kvseg", h).value() == expected["kvseg/" + h]);
    }
    // Overwrites and deletes of cold keys; reads of cold keys that may be gone.
    const std::string& some = cold[rng() % cold.size()];
    if (round % 5 == 1) {
      expected["kvseg/" + some] = random_bytes(170 * kKiB, 5000 + round);
      REQUIRE(f.put("kvseg", some, expected["kvseg/" + some]));
      observe();
    } else if (round % 7 == 2) {
      REQUIRE(f.store().remove("kvseg", some));
      expected.erase("kvseg/" + some);
    } else if (round % 3 == 0) {
      auto got = f.get("kvseg", some);
      if (got)
        CHECK(*got == expected["kvseg/" + some]);
      else
        CHECK(got.error() == er::errc::object_not_found);
    }
  }
  static_cast<void>(f.store().evict_now());  // let the evictor settle (it may be mid-pass)
  // Every survivor reads back byte-exact; the hot set and no-evict data all survived.
  std::size_t survivors = 0;
  for (const auto& [path, data] : expected) {
    const auto slash = path.find('/');
    auto got = f.get(path.substr(0, slash), path.substr(slash + 1));
    if (!got) {
      INFO(path);
      CHECK(got.error() == er::errc::object_not_found);
      CHECK(path.rfind("kvseg/seg-", 0) == 0);
      continue;
    }
    ++survivors;
    CHECK(*got == data);
  }
  const er::capacity_report r = f.store().capacity_usage();
  CHECK(evicted_objects(r) > 20);
  CHECK(r.node.logical_bytes <= kLimit);
  CHECK(survivors == r.node.objects);
  CHECK(r.node.logical_bytes ==
        f.listed_usage("kvseg").logical_bytes + f.listed_usage("meta").logical_bytes);
  CHECK(peak <= kLimit + kLargest);
  CHECK(r.evicted[static_cast<std::size_t>(er::eviction_reason::node_bytes)].bytes > 0);
}

TEST_CASE("a reader holding an object during eviction reads it to the end, it goes afterwards",
          "[cache]") {
  er::capacity_config c;
  c.background_eviction = false;
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("bkt-b", "o"));
  std::vector<std::string> data;
  for (int i = 0; i < 5; ++i) {
    data.push_back(random_bytes(300 * kKiB, i));
    REQUIRE(f.put("bkt-b", "k" + std::to_string(i), data.back()));
  }
  auto reader = f.store().open_read("bkt-b", "k2", std::nullopt);
  REQUIRE(reader);
  std::string got(100 * kKiB, '\0');
  REQUIRE((*reader)->read(std::as_writable_bytes(std::span(got))).value() == got.size());

  er::capacity_config everything = c;
  everything.max_bytes = 1;  // evict everything that can go
  everything.high_watermark = everything.low_watermark = 1.0;
  REQUIRE(f.store().set_capacity(everything));
  CHECK(f.store().evict_now().value() == 4);
  CHECK(f.store().capacity_usage().skipped_pinned >= 1);
  CHECK(f.store().head("bkt-b", "k2"));  // held by the reader: not evicted
  std::string rest(data[2].size() - got.size(), '\0');
  REQUIRE((*reader)->read(std::as_writable_bytes(std::span(rest))).value() == rest.size());
  CHECK(got + rest == data[2]);
  reader->reset();
  CHECK(f.store().evict_now().value() == 1);
  CHECK(f.get("bkt-b", "k2").error() == er::errc::object_not_found);
  CHECK(f.store().capacity_usage().node.objects == 0);
}

TEST_CASE("writes and multipart uploads in progress are not disturbed by eviction", "[cache]") {
  constexpr std::uint64_t kLimit = 1024 * kKiB;
  er::capacity_config c;
  c.background_eviction = false;
  c.max_bytes = kLimit;
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("bkt-b", "o"));
  // An upload with one (last, so small) part written, and a PUT half written.
  auto u = f.store().create_upload("bkt-b", "mp", {}, "", "");
  REQUIRE(u);
  const std::string part = random_bytes(300 * kKiB, 1);
  auto pw = f.store().begin_part("bkt-b", "mp", u->upload_id, 1, part.size());
  REQUIRE(pw);
  REQUIRE((*pw)->write(std::as_bytes(std::span(part))));
  auto etag = (*pw)->commit("\"p1\"", {});
  REQUIRE(etag);
  const std::string body = random_bytes(300 * kKiB, 2);
  er::put_options po;
  po.size = body.size();
  auto w = f.store().begin_put("bkt-b", "put", po);
  REQUIRE(w);
  REQUIRE((*w)->write(std::as_bytes(std::span(body.data(), body.size() / 2))));
  CHECK(f.store().capacity_usage().node.reserved_bytes == body.size());
  // Fill the node several times over.
  for (int i = 0; i < 10; ++i) {
    REQUIRE(f.put("bkt-b", "fill-" + std::to_string(i), random_bytes(250 * kKiB, 10 + i)));
    const auto r = f.store().capacity_usage();
    CHECK(r.node.logical_bytes + r.node.reserved_bytes <= kLimit);
  }
  REQUIRE((*w)->write(std::as_bytes(std::span(body.data() + body.size() / 2, body.size() / 2))));
  REQUIRE((*w)->commit("\"e\"", {}, {}));
  w->reset();
  REQUIRE(
      f.store().complete_upload("bkt-b", "mp", u->upload_id, {{1, etag->etag}}, "\"m-1\"", {}, {}));
  CHECK(f.get("bkt-b", "put").value() == body);
  CHECK(f.get("bkt-b", "mp").value() == part);
  const auto r = f.store().capacity_usage();
  CHECK(r.node.logical_bytes <= kLimit + part.size());
  CHECK(r.node.reserved_bytes == 0);
  CHECK(evicted_objects(r) >= 7);
}

TEST_CASE("the background evictor starts at the high watermark and stops at the low one",
          "[cache]") {
  er::capacity_config c;
  c.max_bytes = 1000 * kKiB;
  c.high_watermark = 0.8;
  c.low_watermark = 0.5;
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("bkt-b", "o"));
  for (int i = 0; i < 8; ++i)
    REQUIRE(f.put("bkt-b", "k" + std::to_string(i), random_bytes(100 * kKiB, i)));
  // 800 KiB: at, not over, the high watermark.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(evicted_objects(f.store().capacity_usage()) == 0);
  REQUIRE(f.put("bkt-b", "k8", random_bytes(100 * kKiB, 8)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (f.store().capacity_usage().node.logical_bytes > 500 * kKiB &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto r = f.store().capacity_usage();
  CHECK(r.node.logical_bytes == 500 * kKiB);  // 9 objects down to 5
  CHECK(evicted_objects(r) == 4);
  CHECK(r.inline_evictions == 0);  // ahead of need: no write waited
  for (int i = 0; i < 4; ++i)
    CHECK(f.store().head("bkt-b", "k" + std::to_string(i)).error() == er::errc::object_not_found);
}

TEST_CASE("writers, readers and the evictor at once: bytes exact, usage bounded",
          "[cache][concurrency]") {
  constexpr std::uint64_t kLimit = 2 * 1024 * kKiB;
  constexpr std::uint64_t kLargest = 200 * kKiB;
  constexpr int kWriters = 3, kPerWriter = 24;
  er::capacity_config c;
  c.max_bytes = kLimit;
  c.high_watermark = 0.8;
  c.low_watermark = 0.6;
  cache_fixture f(c);
  REQUIRE(f.store().create_bucket("bkt-b", "o"));
  auto key_of = [](int t, int i) { return "w" + std::to_string(t) + "-" + std::to_string(i); };
  auto size_of = [](int t, int i) {
    return static_cast<std::size_t>(1 +
                                    (static_cast<std::uint64_t>(t * 7919 + i * 104729) % kLargest));
  };
  auto data_of = [&](int t, int i) { return random_bytes(size_of(t, i), t * 1000 + i); };
  std::array<std::atomic<int>, kWriters> written{};
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> failures{0}, mismatches{0}, over_limit{0}, reads_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerWriter; ++i) {
        if (!f.put("bkt-b", key_of(t, i), data_of(t, i))) ++failures;
        written[t] = i + 1;
      }
      --writers_left;
    });
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      std::mt19937 rng(r);
      while (writers_left > 0) {
        const int t = static_cast<int>(rng() % kWriters);
        const int n = written[t];
        if (n == 0) continue;
        const int i = static_cast<int>(rng() % n);
        if (rng() % 2) {
          auto h = f.store().head_cached("bkt-b", key_of(t, i));
          if (!h && h.error() != er::errc::object_not_found && h.error() != er::errc::would_block)
            ++failures;
          continue;
        }
        auto got = f.get("bkt-b", key_of(t, i));
        if (!got) {
          if (got.error() != er::errc::object_not_found) ++failures;
        } else if (*got != data_of(t, i)) {
          ++mismatches;
        } else {
          ++reads_ok;
        }
      }
    });
  threads.emplace_back([&] {
    while (writers_left > 0) {
      const auto u = f.store().capacity_usage();
      if (u.node.logical_bytes > kLimit + kLargest) ++over_limit;
      if (!f.store().check_write("bkt-b", "probe", 100 * kKiB)) ++failures;
      static_cast<void>(f.store().evict_now());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(mismatches == 0);
  CHECK(over_limit == 0);
  const auto r = f.store().capacity_usage();
  CHECK(r.node.logical_bytes <= kLimit);
  CHECK(r.node.reserved_bytes == 0);
  CHECK(evicted_objects(r) > 0);
  CHECK(r.node.objects == f.listed_usage("bkt-b").objects);
  CHECK(r.node.logical_bytes == f.listed_usage("bkt-b").logical_bytes);
  for (int t = 0; t < kWriters; ++t)
    for (int i = 0; i < kPerWriter; ++i)
      if (auto got = f.get("bkt-b", key_of(t, i))) CHECK(*got == data_of(t, i));
}
