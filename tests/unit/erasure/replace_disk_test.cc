// Disk replacement: an empty directory in a known slot is adopted (formatted,
// state "healing", every object queued) and rebuilt by the heal queue; the
// rebuilt disk then carries real shards, proven by losing two other disks and
// reading everything back. A disk of another deployment is refused.
#include <fstream>

#include "object_state.h"

using kvgate::test::key_content;
using kvgate::test::random_bytes;
using kvgate::test::store_fixture;
using kvgate::test::store_fixture_config;
namespace er = kvgate::erasure;
namespace kt = kvgate::test;
namespace fs = std::filesystem;

namespace {

store_fixture_config replace_config() {
  store_fixture_config c;
  c.block_size = 64 * 1024;
  c.inline_limit = 4096;
  return c;
}

void wipe(const fs::path& disk) {
  fs::remove_all(disk);
  fs::create_directories(disk);
}

std::map<std::string, std::string> fill(store_fixture& f) {
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 12; ++i) {
    const std::size_t size = i % 3 == 0 ? 0 : (i % 3 == 1 ? 100 + 300 * i : 70 * 1024 * i + 11);
    objects["obj-" + std::to_string(i)] = random_bytes(size, 1000 + i);
  }
  for (const auto& [key, data] : objects) REQUIRE(f.put("bkt", key, data));
  const std::string multi = random_bytes(150 * 1024, 77);
  auto u = kt::start_one_part_upload(f, "bkt", "multi", multi);
  REQUIRE(u);
  REQUIRE(kt::complete_one_part_upload(f, "bkt", "multi", u->upload_id));
  objects["multi"] = multi;
  return objects;
}

std::string disk_state(store_fixture& f, int d) {
  auto info = f.store().info();
  REQUIRE(info);
  return info->disks[d].state;
}

}  // namespace

TEST_CASE("a wiped disk is adopted, rebuilt by heal, and then carries real shards",
          "[heal][replace]") {
  store_fixture f(replace_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  const auto objects = fill(f);
  f.close();
  wipe(f.paths()[3]);
  f.reopen();
  auto info = f.store().info();
  REQUIRE(info);
  CHECK(info->disks[3].state == "healing");
  CHECK(info->disks[3].online);
  CHECK(info->heal_queue == objects.size());
  CHECK(fs::exists(f.paths()[3] / ".kvgate" / "format.json"));
  // Readable while the disk is still empty.
  for (const auto& [key, data] : objects) kt::expect_one_of(f, "bkt", key, {data});

  auto healed = f.store().drain_heal_queue();
  REQUIRE(healed);
  CHECK(*healed == objects.size());  // empty objects too: their manifest copy
  info = f.store().info();
  REQUIRE(info);
  CHECK(info->heal_queue == 0);
  CHECK(info->disks[3].state == "ok");
  for (const auto& [key, data] : objects) {
    auto h = f.store().verify_object("bkt", key);
    REQUIRE(h);
    INFO(key << ": " << h->problem);
    CHECK(h->shards_ok == 6);
  }

  // Lose two OTHER disks: every read now needs the rebuilt disk's shards.
  f.close();
  wipe(f.paths()[1]);
  wipe(f.paths()[5]);
  f.reopen();
  CHECK(disk_state(f, 1) == "healing");
  CHECK(disk_state(f, 5) == "healing");
  CHECK(disk_state(f, 3) == "ok");
  for (const auto& [key, data] : objects) kt::expect_one_of(f, "bkt", key, {data});
  CHECK(kt::listed_keys(f, "bkt").size() == objects.size());
  REQUIRE(f.store().drain_heal_queue());
  for (const auto& [key, data] : objects) {
    auto h = f.store().verify_object("bkt", key);
    REQUIRE(h);
    CHECK(h->shards_ok == 6);
  }
}

TEST_CASE("heal_all rebuilds a replaced disk just as the heal queue does", "[heal][replace]") {
  store_fixture f(replace_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  const auto objects = fill(f);
  f.close();
  wipe(f.paths()[2]);
  f.reopen();
  std::uint64_t last_done = 0, last_total = 0;
  auto report = f.store().heal_all("",
                                   [&](std::uint64_t done, std::uint64_t total) {
                                     last_done = done;
                                     last_total = total;
                                   },
                                   {});
  REQUIRE(report);
  CHECK(last_done == objects.size());
  CHECK(last_total == objects.size());
  for (const auto& h : *report) CHECK(h.readable);
  f.close();
  wipe(f.paths()[4]);
  wipe(f.paths()[5]);
  f.reopen();
  for (const auto& [key, data] : objects) kt::expect_one_of(f, "bkt", key, {data});
}

TEST_CASE("a disk of another deployment is refused with foreign_disk", "[replace]") {
  store_fixture other(replace_config());
  store_fixture f(replace_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  REQUIRE(f.put("bkt", "k", "data"));
  f.close();
  wipe(f.paths()[4]);
  fs::create_directories(f.paths()[4] / ".kvgate");
  fs::copy_file(other.paths()[4] / ".kvgate" / "format.json",
                f.paths()[4] / ".kvgate" / "format.json");
  auto r = f.try_reopen();
  REQUIRE(!r);
  CHECK(r.error() == er::errc::foreign_disk);
  INFO("error: " << r.error().message());
  CHECK(!r.error().message().empty());
  // Taking the stranger out (an empty disk in its place) makes the set whole again.
  wipe(f.paths()[4]);
  f.reopen();
  kt::expect_one_of(f, "bkt", "k", {std::string("data")});
}

TEST_CASE("a disk from another slot of the same deployment is refused", "[replace]") {
  store_fixture f(replace_config());
  f.close();
  // Swap the identities of disks 1 and 2.
  const fs::path a = f.paths()[1] / ".kvgate" / "format.json";
  const fs::path b = f.paths()[2] / ".kvgate" / "format.json";
  const fs::path t = f.paths()[1] / ".kvgate" / "format.swap";
  fs::rename(a, t);
  fs::rename(b, a);
  fs::rename(t, b);
  auto r = f.try_reopen();
  REQUIRE(!r);
  CHECK(r.error() == er::errc::foreign_disk);
}
