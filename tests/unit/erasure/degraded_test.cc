// Disks failing while the store runs (fault rules on faulty_disk): reads go
// around a failing disk, writes succeed at the write quorum (5 of 6 for 4+2)
// and queue the object for heal, below the quorum writes fail and create
// nothing, and once the disk is back the heal queue restores full redundancy.
#include "object_state.h"

using kvgate::test::key_content;
using kvgate::test::random_bytes;
using kvgate::test::store_fixture;
using kvgate::test::store_fixture_config;
namespace er = kvgate::erasure;
namespace kt = kvgate::test;

namespace {

store_fixture_config faulty_config() {
  store_fixture_config c;
  c.faulty = true;
  c.block_size = 64 * 1024;
  c.inline_limit = 4096;
  return c;
}

std::uint64_t heal_queue(store_fixture& f) {
  auto info = f.store().info();
  REQUIRE(info);
  return info->heal_queue;
}

bool disk_online(store_fixture& f, int d) {
  auto info = f.store().info();
  REQUIRE(info);
  return info->disks[d].online;
}

void check_full_redundancy(store_fixture& f, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    auto h = f.store().verify_object("bkt", key);
    REQUIRE(h);
    INFO("key " << key << ": " << h->problem);
    CHECK(h->shards_ok == h->shards_total);
    CHECK(h->problem.empty());
  }
}

}  // namespace

TEST_CASE("EIO on reads from one disk: reads stay correct and the object is queued for heal",
          "[degraded]") {
  store_fixture f(faulty_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string data = random_bytes(300 * 1024 + 3, 1);
  REQUIRE(f.put("bkt", "key", data));
  const std::vector<bool> holds_data = kt::data_disks(f, "bkt", 4);
  const int victim =
      static_cast<int>(std::find(holds_data.begin(), holds_data.end(), true) - holds_data.begin());
  CHECK(heal_queue(f) == 0);
  f.faulty_disks()[victim]->add_fault({.op = er::disk_op::pread, .nth = 1, .persistent = true});
  bool degraded = false;
  auto got = f.get("bkt", "key", {}, &degraded);
  REQUIRE(got);
  CHECK(*got == data);
  CHECK(degraded);
  CHECK(heal_queue(f) >= 1);
  CHECK(!disk_online(f, victim));  // an I/O error takes the disk out
  auto ranged = f.get("bkt", "key", er::byte_range{1000, 280000});
  REQUIRE(ranged);
  CHECK(*ranged == data.substr(1000, 280000 - 1000 + 1));
  auto info = f.store().info();
  REQUIRE(info);
  CHECK(info->degraded_reads >= 1);
  // Back after a restart without the fault: the queue drains, all shards good.
  f.reopen();
  CHECK(heal_queue(f) >= 1);
  REQUIRE(f.store().drain_heal_queue());
  CHECK(heal_queue(f) == 0);
  check_full_redundancy(f, {"key"});
}

TEST_CASE("one disk offline: writes succeed at quorum, are queued, and heal when it returns",
          "[degraded][heal]") {
  store_fixture f(faulty_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string old_big = random_bytes(200 * 1024, 2), doomed = random_bytes(100, 3);
  REQUIRE(f.put("bkt", "overwritten", old_big));
  REQUIRE(f.put("bkt", "deleted", doomed));
  f.faulty_disks()[2]->set_offline(true);
  const std::string small = random_bytes(1000, 4), big = random_bytes(300 * 1024, 5),
                    replacement = random_bytes(2000, 6), multi = random_bytes(90 * 1024, 7);
  REQUIRE(f.put("bkt", "small", small));
  REQUIRE(f.put("bkt", "big", big));
  REQUIRE(f.put("bkt", "overwritten", replacement));
  REQUIRE(f.store().remove("bkt", "deleted"));
  auto u = kt::start_one_part_upload(f, "bkt", "multi", multi);
  REQUIRE(u);
  REQUIRE(kt::complete_one_part_upload(f, "bkt", "multi", u->upload_id));
  CHECK(!disk_online(f, 2));
  CHECK(heal_queue(f) >= 5);
  const std::map<std::string, key_content> expected = {{"small", small},
                                                       {"big", big},
                                                       {"overwritten", replacement},
                                                       {"deleted", std::nullopt},
                                                       {"multi", multi}};
  for (const auto& [key, content] : expected) kt::expect_one_of(f, "bkt", key, {content});

  // The disk returns (restart with it online): heal brings it up to date.
  f.reopen();
  REQUIRE(f.store().drain_heal_queue());
  CHECK(heal_queue(f) == 0);
  check_full_redundancy(f, {"small", "big", "overwritten", "multi"});
  for (const auto& [key, content] : expected) kt::expect_one_of(f, "bkt", key, {content});
  CHECK(kt::listed_keys(f, "bkt") == std::set<std::string>{"big", "multi", "overwritten", "small"});
  // Scrub collects what the stale disk still held of retired versions.
  er::scrub_options so;
  so.orphan_grace = std::chrono::seconds(0);
  auto report = f.store().scrub(so, {});
  REQUIRE(report);
  CHECK(report->objects_checked == 4);
  CHECK(report->objects_repaired == 0);
  check_full_redundancy(f, {"small", "big", "overwritten", "multi"});
}

TEST_CASE("two disks offline: writes fail with write_quorum_lost, create nothing, reads work",
          "[degraded]") {
  store_fixture f(faulty_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string small = random_bytes(1000, 8), big = random_bytes(300 * 1024, 9),
                    multi = random_bytes(50 * 1024, 10);
  REQUIRE(f.put("bkt", "small", small));
  REQUIRE(f.put("bkt", "big", big));
  auto u = kt::start_one_part_upload(f, "bkt", "multi", multi);
  REQUIRE(u);
  f.faulty_disks()[1]->set_offline(true);
  f.faulty_disks()[4]->set_offline(true);
  // A streamed put finds both disks out when it opens its shard files, before
  // anything is published; later writes are refused up front.
  if (auto w = f.store().begin_put("bkt", "new", er::put_options{}); w) {
    const std::string data = random_bytes(200 * 1024, 11);
    auto wr = (*w)->write(std::as_bytes(std::span(data.data(), data.size())));
    auto c = wr ? (*w)->commit("\"x\"", {}, {}) : er::result<er::object_info>(wr.error());
    REQUIRE(!c);
    CHECK(c.error() == er::errc::write_quorum_lost);
  } else {
    CHECK(w.error() == er::errc::write_quorum_lost);
  }
  CHECK(!disk_online(f, 1));
  CHECK(!disk_online(f, 4));
  CHECK(f.put("bkt", "small", "changed").error() == er::errc::write_quorum_lost);
  CHECK(f.put("bkt", "other", "x").error() == er::errc::write_quorum_lost);
  CHECK(f.store().remove("bkt", "big").error() == er::errc::write_quorum_lost);
  CHECK(kt::complete_one_part_upload(f, "bkt", "multi", u->upload_id).error() ==
        er::errc::write_quorum_lost);
  CHECK(f.store().create_upload("bkt", "k2", {}, "", "").error() == er::errc::write_quorum_lost);
  const std::map<std::string, key_content> expected = {{"small", small},
                                                       {"big", big},
                                                       {"new", std::nullopt},
                                                       {"other", std::nullopt},
                                                       {"multi", std::nullopt}};
  for (const auto& [key, content] : expected) kt::expect_one_of(f, "bkt", key, {content});
  // Nothing surfaces after a restart with every disk back either.
  f.reopen();
  for (const auto& [key, content] : expected) kt::expect_one_of(f, "bkt", key, {content});
  CHECK(kt::listed_keys(f, "bkt") == std::set<std::string>{"big", "small"});
  // The upload is still there and completes now.
  REQUIRE(kt::complete_one_part_upload(f, "bkt", "multi", u->upload_id));
  kt::expect_one_of(f, "bkt", "multi", {multi});
}

TEST_CASE("a failed fsync takes the disk out for good, the write succeeds at quorum",
          "[degraded]") {
  store_fixture f(faulty_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  auto& disk = *f.faulty_disks()[3];
  disk.add_fault({.op = er::disk_op::sync, .nth = 1});  // fails once; a retry would succeed
  const std::string a = random_bytes(300 * 1024, 12), b = random_bytes(2000, 13);
  REQUIRE(f.put("bkt", "a", a));
  CHECK(!disk_online(f, 3));
  const std::uint64_t syncs = disk.call_count(er::disk_op::sync);
  const std::uint64_t calls = disk.call_count(er::disk_op::any);
  REQUIRE(f.put("bkt", "b", b));
  REQUIRE(f.put("bkt", "a", b));
  CHECK(disk.call_count(er::disk_op::sync) == syncs);  // never retried
  CHECK(disk.call_count(er::disk_op::any) == calls);   // nor used at all
  CHECK(!disk_online(f, 3));
  CHECK(heal_queue(f) >= 2);
  kt::expect_one_of(f, "bkt", "a", {b});
  kt::expect_one_of(f, "bkt", "b", {b});
  f.reopen();
  REQUIRE(f.store().drain_heal_queue());
  check_full_redundancy(f, {"a", "b"});
}

TEST_CASE("ENOSPC on one disk: writes succeed at quorum and heal once space is back",
          "[degraded][heal]") {
  store_fixture f(faulty_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  auto& disk = *f.faulty_disks()[5];
  disk.add_fault({.op = er::disk_op::create, .nth = 1, .persistent = true, .error = ENOSPC});
  const std::string small = random_bytes(1500, 14), big = random_bytes(260 * 1024, 15);
  REQUIRE(f.put("bkt", "small", small));
  REQUIRE(f.put("bkt", "big", big));
  CHECK(disk_online(f, 5));  // a full disk is not a broken one
  CHECK(heal_queue(f) >= 2);
  kt::expect_one_of(f, "bkt", "small", {small});
  kt::expect_one_of(f, "bkt", "big", {big});
  auto v = f.store().verify_object("bkt", "big");
  REQUIRE(v);
  CHECK(v->shards_ok == 5);
  // Space freed: heal runs on the live store, no restart needed.
  disk.clear_faults();
  REQUIRE(f.store().drain_heal_queue());
  CHECK(heal_queue(f) == 0);
  check_full_redundancy(f, {"small", "big"});
}
