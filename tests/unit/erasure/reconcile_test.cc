// reconcile_index(): a live store's index checked against its disks. Objects
// and a bucket that only the disks hold (copied in from another store's disks,
// as after a lost index entry) are added; an entry whose data is gone from
// every disk is removed; consistent keys are left untouched; a stop request
// ends the walk; with a disk offline an entry no online disk shows is kept.
#include <filesystem>
#include <map>
#include <stop_token>

#include "store_fixture.h"

using kvgate::test::random_bytes;
using kvgate::test::store_fixture;
namespace er = kvgate::erasure;
namespace fs = std::filesystem;

namespace {

// Merges `from`'s bucket trees into `to`'s, disk by disk (existing files kept).
void copy_buckets(const store_fixture& from, const store_fixture& to) {
  for (std::size_t d = 0; d < from.paths().size(); ++d)
    fs::copy(from.paths()[d] / "buckets", to.paths()[d] / "buckets",
             fs::copy_options::recursive | fs::copy_options::skip_existing);
}

// Removes the object directory holding version `data_id` from every disk
// (the object's data is gone everywhere); returns the disks it was on.
std::size_t remove_everywhere(const store_fixture& f, const std::string& data_id) {
  std::size_t removed = 0;
  for (const fs::path& disk : f.paths())
    for (auto it = fs::recursive_directory_iterator(disk / "buckets" / "bkt");
         it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_directory() && it->path().filename() == data_id) {
        fs::remove_all(it->path().parent_path());  // the key's whole object directory
        ++removed;
        break;
      }
    }
  return removed;
}

}  // namespace

TEST_CASE("reconcile adds what only the disks hold and drops what no disk holds", "[reconcile]") {
  std::map<std::string, std::string> elsewhere;
  store_fixture other;
  REQUIRE(other.store().create_bucket("bkt", ""));
  REQUIRE(other.store().create_bucket("lost-bucket", ""));
  elsewhere["bkt/found-1"] = random_bytes(300 * 1024, 1);
  elsewhere["bkt/found-2"] = random_bytes(1000, 2);  // inline
  elsewhere["lost-bucket/seg"] = random_bytes(200 * 1024, 3);
  for (const auto& [path, data] : elsewhere) {
    const auto slash = path.find('/');
    REQUIRE(other.put(path.substr(0, slash), path.substr(slash + 1), data));
  }
  other.close();

  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string kept = random_bytes(250 * 1024, 4);
  REQUIRE(f.put("bkt", "kept", kept));
  REQUIRE(f.put("bkt", "vanished", random_bytes(250 * 1024, 5)));
  auto head = f.store().head("bkt", "vanished");
  REQUIRE(head);
  const std::string vanished_id = head->data_id;
  f.close();
  // "vanished" loses its data on every disk; the other store's objects appear.
  REQUIRE(remove_everywhere(f, vanished_id) > 0);
  copy_buckets(other, f);
  f.reopen();
  CHECK_FALSE(f.store().head("bkt", "found-1"));
  const auto usage_before = f.store().capacity_usage().node;

  std::uint64_t last_done = 0, last_total = 0;
  auto report = f.store().reconcile_index(
      [&](std::uint64_t done, std::uint64_t total) {
        last_done = done;
        last_total = total;
      },
      {});
  REQUIRE(report);
  CHECK(report->buckets_added == 1);
  CHECK(report->index_added == 3);
  CHECK(report->index_removed == 1);
  CHECK(report->index_updated == 0);
  CHECK(report->objects_checked == 5);  // kept, vanished, 3 found
  CHECK(last_done == 5);
  CHECK(last_total == 5);
  CHECK_FALSE(report->stopped);
  for (const auto& [path, data] : elsewhere) {
    const auto slash = path.find('/');
    auto got = f.get(path.substr(0, slash), path.substr(slash + 1));
    REQUIRE(got);
    CHECK(*got == data);
  }
  CHECK(f.get("bkt", "vanished").error() == er::errc::object_not_found);
  CHECK(f.get("bkt", "kept").value() == kept);
  // The ledger follows: 3 objects more, 1 less.
  const auto usage_after = f.store().capacity_usage().node;
  CHECK(usage_after.objects == usage_before.objects + 2);
  // A second pass finds nothing to set right.
  auto again = f.store().reconcile_index({}, {});
  REQUIRE(again);
  CHECK(again->objects_checked == 4);
  CHECK(again->index_added + again->index_removed + again->index_updated + again->buckets_added ==
        0);
}

TEST_CASE("reconcile stops when asked", "[reconcile][stop]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  for (int i = 0; i < 6; ++i)
    REQUIRE(f.put("bkt", "k" + std::to_string(i), random_bytes(100 * 1024, i)));
  std::stop_source stop;
  auto stopped = f.store().reconcile_index(
      [&](std::uint64_t done, std::uint64_t) {
        if (done == 2) stop.request_stop();
      },
      stop.get_token());
  REQUIRE(stopped);
  CHECK(stopped->stopped);
  CHECK(stopped->objects_checked == 2);
}

TEST_CASE("with a disk offline an entry no online disk shows is kept, all online, it goes",
          "[reconcile]") {
  store_fixture f(6, true);
  REQUIRE(f.store().create_bucket("bkt", ""));
  REQUIRE(f.put("bkt", "kept", random_bytes(250 * 1024, 1)));
  REQUIRE(f.put("bkt", "gone", random_bytes(250 * 1024, 2)));
  auto head = f.store().head("bkt", "gone");
  REQUIRE(head);
  const std::string gone_id = head->data_id;
  f.close();
  REQUIRE(remove_everywhere(f, gone_id) == 6);
  // Disk 1 is offline at start: its copies could be the ones the others lack.
  f.reopen({}, [](auto& disks) { disks[1]->set_offline(true); });
  auto partial = f.store().reconcile_index({}, {});
  REQUIRE(partial);
  CHECK(partial->objects_checked == 2);
  CHECK(partial->index_removed == 0);
  CHECK(f.store().head("bkt", "gone"));
  // Every disk online: no disk holds it, so the entry goes.
  f.reopen();
  auto whole = f.store().reconcile_index({}, {});
  REQUIRE(whole);
  CHECK(whole->index_removed == 1);
  CHECK(f.store().head("bkt", "gone").error() == er::errc::object_not_found);
  CHECK(f.store().head("bkt", "kept"));
}
