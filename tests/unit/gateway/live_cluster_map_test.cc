// The cluster map replaced by a SIGHUP reload (live_cluster_map.h): what a
// reload may change, and readers racing a replace (run under TSan too).
#include "kvgate/gateway/live_cluster_map.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

using namespace kvgate::gateway;

namespace {

cluster_config map_of(std::uint64_t version, int members, std::string id = "kv",
                      std::string self = "a") {
  cluster_config c{std::move(id), version, std::move(self), {}};
  for (int i = 0; i < members; ++i)
    c.members.push_back({std::string(1, static_cast<char>('a' + i)),
                         "http://10.0.0." + std::to_string(i + 1) + ":9000", "", 1,
                         member_state::active});
  return c;
}

std::string refusal(const cluster_config& running, const cluster_config& next) {
  auto r = check_map_change(running, next);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

}  // namespace

TEST_CASE("a reload takes a higher version with other members") {
  auto r = check_map_change(map_of(3, 2), map_of(4, 3));
  REQUIRE(r.has_value());
  CHECK(*r);
  auto down = map_of(4, 2);
  down.members[1].state = member_state::down;
  r = check_map_change(map_of(3, 2), down);
  REQUIRE(r.has_value());
  CHECK(*r);
}

TEST_CASE("the same map is no change") {
  auto r = check_map_change(map_of(3, 2), map_of(3, 2));
  REQUIRE(r.has_value());
  CHECK_FALSE(*r);
  r = check_map_change(cluster_config{}, cluster_config{});
  REQUIRE(r.has_value());
  CHECK_FALSE(*r);
}

TEST_CASE("a reload refuses what needs a restart or breaks the version rule") {
  CHECK(refusal(map_of(3, 2), map_of(4, 2, "other")) ==
        "[cluster] id changed from \"kv\" to \"other\": joining, leaving or renaming a cluster "
        "needs a restart");
  CHECK(refusal(cluster_config{}, map_of(1, 1)).starts_with("[cluster] id changed from (none)"));
  CHECK(refusal(map_of(1, 1), cluster_config{}).find("to (none)") != std::string::npos);
  CHECK(refusal(map_of(3, 2), map_of(4, 2, "kv", "b"))
            .starts_with("[cluster] self changed from \"a\" to \"b\""));
  CHECK(refusal(map_of(3, 2), map_of(2, 3))
            .starts_with("[cluster] map_version went back from 3 to 2"));
  CHECK(refusal(map_of(3, 2), map_of(3, 3))
            .starts_with("[cluster] members changed but map_version stayed 3"));
}

TEST_CASE("readers see one whole map while it is replaced", "[concurrency]") {
  live_cluster_map live(map_of(1, 1));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> torn{0}, reads{0};
  std::thread reader([&] {
    while (!stop.load()) {
      auto snapshot = live.current();
      // Version v has v members in this test: a torn map would break it.
      if (snapshot->members.size() != snapshot->map_version) ++torn;
      ++reads;
    }
  });
  for (std::uint64_t v = 2; v <= 200; ++v) live.replace(map_of(v, static_cast<int>(v)));
  stop = true;
  reader.join();
  CHECK(torn == 0);
  CHECK(reads > 0);
  CHECK(live.current()->map_version == 200);
}
