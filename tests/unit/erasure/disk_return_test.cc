// Disks coming back while the store runs (the background thread probes
// offline disks, store_options::disk_probe_*): a disk that works again is
// used at once and the heal queue brings it up to date; an empty disk put in
// its place is adopted and rebuilt in full; a disk of another deployment, or
// one still failing, stays offline. No restart anywhere.
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "layout.h"
#include "object_state.h"

using kvgate::test::random_bytes;
using kvgate::test::store_fixture;
using kvgate::test::store_fixture_config;
namespace er = kvgate::erasure;
namespace fs = std::filesystem;

namespace {

// Long enough for the background thread to notice an offline disk (it naps
// up to 2 s while every disk is online) and probe it several times.
constexpr auto kSeveralProbes = std::chrono::milliseconds(3000);

store_fixture_config returning_config() {
  store_fixture_config c;
  c.faulty = true;
  c.block_size = 64 * 1024;
  c.inline_limit = 4096;
  c.background_heal = true;
  c.disk_probe_first = std::chrono::milliseconds(50);
  c.disk_probe_max = std::chrono::milliseconds(200);
  return c;
}

er::disk_status disk_state(store_fixture& f, int d) {
  auto info = f.store().info();
  REQUIRE(info);
  return info->disks[static_cast<std::size_t>(d)];
}

std::uint64_t heal_queue(store_fixture& f) {
  auto info = f.store().info();
  REQUIRE(info);
  return info->heal_queue;
}

// Waits (bounded) until the disk is online and the heal queue is empty.
bool wait_back_and_healed(store_fixture& f, int d) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (disk_state(f, d).online && heal_queue(f) == 0 && disk_state(f, d).state == "ok")
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void check_whole(store_fixture& f, const std::map<std::string, std::string>& objects) {
  for (const auto& [key, data] : objects) {
    INFO(key);
    auto h = f.store().verify_object("bkt", key);
    REQUIRE(h);
    CHECK(h->problem.empty());
    CHECK(h->shards_ok == h->shards_total);
    auto got = f.get("bkt", key);
    REQUIRE(got);
    CHECK(*got == data);
  }
}

}  // namespace

TEST_CASE("a disk that works again is used without a restart and healed from the queue",
          "[degraded][heal][return]") {
  store_fixture f(returning_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  std::map<std::string, std::string> objects;
  objects["before"] = random_bytes(200 * 1024, 1);
  REQUIRE(f.put("bkt", "before", objects["before"]));
  REQUIRE(f.put("bkt", "doomed", random_bytes(100, 2)));

  f.faulty_disks()[2]->set_offline(true);
  objects["small"] = random_bytes(1000, 3);
  objects["big"] = random_bytes(300 * 1024, 4);
  objects["before"] = random_bytes(150 * 1024, 5);  // overwritten while the disk is away
  for (const char* key : {"small", "big", "before"}) REQUIRE(f.put("bkt", key, objects[key]));
  REQUIRE(f.store().remove("bkt", "doomed"));
  CHECK_FALSE(disk_state(f, 2).online);

  // Still failing: probed (at growing intervals) and kept offline. The
  // background thread notices an offline disk within its 2 s nap, then probes
  // every 50-200 ms here.
  std::this_thread::sleep_for(kSeveralProbes);
  CHECK_FALSE(disk_state(f, 2).online);
  CHECK(heal_queue(f) >= 4);

  f.faulty_disks()[2]->set_offline(false);
  REQUIRE(wait_back_and_healed(f, 2));
  check_whole(f, objects);
  CHECK(f.get("bkt", "doomed").error() == er::errc::object_not_found);
  // The delete it missed reached it too: no manifest of "doomed" is left there.
  CHECK_FALSE(fs::exists(f.paths()[2] /
                         er::layout::manifest_path("bkt", er::layout::key_hash("bkt", "doomed"))));
  // Redundancy is real: two other disks go, everything still reads back.
  f.faulty_disks()[0]->set_offline(true);
  f.faulty_disks()[4]->set_offline(true);
  for (const auto& [key, data] : objects) CHECK(f.get("bkt", key).value() == data);
}

TEST_CASE("an empty disk in place of an offline one is adopted and rebuilt without a restart",
          "[degraded][heal][return]") {
  store_fixture f(returning_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 8; ++i) {
    const std::string key = "k" + std::to_string(i);
    objects[key] = random_bytes(static_cast<std::size_t>(i) * 40000 + 100, 10 + i);
    REQUIRE(f.put("bkt", key, objects[key]));
  }
  f.faulty_disks()[3]->set_offline(true);
  objects["while-away"] = random_bytes(120 * 1024, 30);
  REQUIRE(f.put("bkt", "while-away", objects["while-away"]));
  CHECK_FALSE(disk_state(f, 3).online);
  // The operator swaps in an empty disk at the same path.
  for (const auto& e : fs::directory_iterator(f.paths()[3])) fs::remove_all(e.path());
  f.faulty_disks()[3]->set_offline(false);
  REQUIRE(wait_back_and_healed(f, 3));
  check_whole(f, objects);
  CHECK(fs::exists(f.paths()[3] / ".kvgate" / "format.json"));
}

TEST_CASE("a disk of another deployment put in an offline disk's place stays offline",
          "[degraded][return]") {
  store_fixture other;  // another deployment's disks
  REQUIRE(other.store().create_bucket("bkt", ""));
  other.close();

  store_fixture f(returning_config());
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string data = random_bytes(100 * 1024, 40);
  REQUIRE(f.put("bkt", "k", data));
  f.faulty_disks()[1]->set_offline(true);
  REQUIRE(f.put("bkt", "k2", data));
  CHECK_FALSE(disk_state(f, 1).online);
  for (const auto& e : fs::directory_iterator(f.paths()[1])) fs::remove_all(e.path());
  fs::copy(other.paths()[1], f.paths()[1], fs::copy_options::recursive);
  f.faulty_disks()[1]->set_offline(false);
  std::this_thread::sleep_for(kSeveralProbes);
  CHECK_FALSE(disk_state(f, 1).online);
  CHECK(f.get("bkt", "k").value() == data);
  CHECK(f.get("bkt", "k2").value() == data);
}
