// Long maintenance walks end early on a stop request (a running server's
// shutdown, the admin API's DELETE of a job): heal_all and scrub return what
// they did so far, a rate-limited scrub's sleep is cut short, and a stopped
// scrub collects no orphans.
#include <chrono>
#include <stop_token>

#include "store_fixture.h"

using kvgate::test::random_bytes;
using kvgate::test::store_fixture;
namespace er = kvgate::erasure;

namespace {

void fill(store_fixture& f, int objects) {
  REQUIRE(f.store().create_bucket("bkt", ""));
  for (int i = 0; i < objects; ++i)
    REQUIRE(f.put("bkt", "k" + std::to_string(i), random_bytes(64 * 1024, i)));
}

}  // namespace

TEST_CASE("heal_all stops after the object in hand when asked", "[heal][stop]") {
  store_fixture f;
  fill(f, 10);
  std::stop_source stop;
  std::uint64_t last_done = 0;
  auto healed = f.store().heal_all(
      "",
      [&](std::uint64_t done, std::uint64_t) {
        last_done = done;
        if (done == 3) stop.request_stop();
      },
      stop.get_token());
  REQUIRE(healed);
  CHECK(last_done == 3);
  CHECK(healed->empty());  // nothing needed healing
  // Not stopped: every object is walked.
  auto all =
      f.store().heal_all("", [&](std::uint64_t done, std::uint64_t) { last_done = done; }, {});
  REQUIRE(all);
  CHECK(last_done == 10);
}

TEST_CASE("a rate-limited scrub ends promptly on a stop request and reports it", "[scrub][stop]") {
  store_fixture f;
  fill(f, 8);
  er::scrub_options so;
  // About 1 s per object: the whole walk would take 8 s.
  so.max_bytes_per_second = 64 * 1024 * 6 / 4;
  std::stop_source stop;
  so.stop = stop.get_token();
  const auto start = std::chrono::steady_clock::now();
  auto report = f.store().scrub(so, [&](std::uint64_t done, std::uint64_t) {
    if (done == 2) stop.request_stop();
  });
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(report);
  CHECK(report->stopped);
  CHECK(report->objects_checked == 2);
  CHECK(report->orphans_removed == 0);
  CHECK(took < std::chrono::milliseconds(5000));  // the whole walk: 8 s

  er::scrub_options whole;
  auto full = f.store().scrub(whole, {});
  REQUIRE(full);
  CHECK_FALSE(full->stopped);
  CHECK(full->objects_checked == 8);
}
