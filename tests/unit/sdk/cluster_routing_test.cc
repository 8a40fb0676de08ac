// The cluster map as the SDK reads it (cluster_map.h) and the router that
// sends each key to its owner (cluster_router.h).
#include <catch2/catch.hpp>
#include <chrono>

#include "cluster_router.h"
#include "kvgate/sdk/cluster_map.h"
#include "sdk/sdk_result_printing.h"

using namespace kvgate::sdk;
using namespace kvgate::sdk::detail;
using namespace std::chrono_literals;

namespace {

// What GET /.kvgate/v1/cluster answers (gateway/s3/src/cluster_endpoint.cc).
std::string map_json(unsigned version, const std::string& n3_state = "active") {
  return R"({"cluster_id": "kv-test", "map_version": )" + std::to_string(version) + R"(,
    "self": "n1",
    "ring": {"algorithm": "ketama-crc32", "points_per_weight": 160, "hash_input": "/<bucket>/<key>"},
    "members": [
      {"id": "n1", "s3_endpoint": "http://127.0.0.1:9101", "ring_name": "127.0.0.1:9101",
       "rdma_listener": null, "weight": 1, "state": "active"},
      {"id": "n2", "s3_endpoint": "http://127.0.0.1:9102", "ring_name": "127.0.0.1:9102",
       "rdma_listener": "127.0.0.1:7471", "weight": 2, "state": "active"},
      {"id": "n3", "s3_endpoint": "http://127.0.0.1:9103", "ring_name": "127.0.0.1:9103",
       "rdma_listener": null, "weight": 1, "state": ")" +
         n3_state + R"("}]})";
}

std::shared_ptr<const route_table> table_of(unsigned version, const std::string& n3 = "active") {
  auto map = parse_cluster_map(map_json(version, n3));
  REQUIRE(map.has_value());
  REQUIRE(map->has_value());
  auto table = make_route_table(std::move(**map), false, std::chrono::steady_clock::now());
  REQUIRE(table.has_value());
  return *table;
}

}  // namespace

TEST_CASE("the cluster map parses with its members, weights and states", "[sdk][cluster]") {
  auto parsed = parse_cluster_map(map_json(7, "down"));
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->has_value());
  const cluster_map& map = **parsed;
  CHECK(map.cluster_id == "kv-test");
  CHECK(map.version == 7);
  REQUIRE(map.members.size() == 3);
  CHECK(map.members[1].weight == 2);
  CHECK(map.members[1].rdma_listener == "127.0.0.1:7471");
  CHECK(map.members[0].rdma_listener.empty());
  CHECK(map.members[2].down);
  CHECK(map.ring().point_count() > 0);
}

TEST_CASE("a node outside a cluster answers no map", "[sdk][cluster]") {
  auto parsed = parse_cluster_map(R"({"cluster_id": null, "members": []})");
  REQUIRE(parsed.has_value());
  CHECK_FALSE(parsed->has_value());
}

TEST_CASE("malformed maps are errors that say what is wrong", "[sdk][cluster]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not a JSON object"},
      {R"({"members": []})", "cluster_id"},
      {R"({"cluster_id": "c", "members": []})", "map_version"},
      {R"({"cluster_id": "c", "map_version": 1, "members": []})", "ring"},
      {R"({"cluster_id": "c", "map_version": 1, "ring": {"algorithm": "maglev"}, "members": []})",
       "ketama"},
      // Members of another type than expected (found by the cluster_map fuzz
      // target: json's value() threw out of the parser).
      {R"({"cluster_id": "c", "map_version": 1, "ring": {"algorithm": 160}, "members": []})",
       "ketama"},
      {R"({"cluster_id": "c", "map_version": 1, "ring": {"algorithm": "ketama-crc32",
          "points_per_weight": "160", "hash_input": "/<bucket>/<key>"}, "members": []})",
       "ketama"},
      {R"({"cluster_id": 5, "members": []})", "cluster_id"},
  };
  for (const auto& [text, needle] : cases) {
    INFO(text);
    auto parsed = parse_cluster_map(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == sdk_errc::protocol_error);
    CHECK(parsed.error().message.find(needle) != std::string::npos);
  }
  std::string two_n1 = map_json(1);
  const std::string n2_name = R"("ring_name": "127.0.0.1:9102")";
  two_n1.replace(two_n1.find(n2_name), n2_name.size(), R"("ring_name": "127.0.0.1:9101")");
  auto dup = parse_cluster_map(two_n1);
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().message.find("two members") != std::string::npos);
  std::string bad_state = map_json(1, "draining");
  CHECK_FALSE(parse_cluster_map(bad_state).has_value());
}

TEST_CASE("a member endpoint with another scheme than the client's is refused", "[sdk][cluster]") {
  auto map = parse_cluster_map(map_json(1));
  REQUIRE(map.has_value());
  auto table = make_route_table(std::move(**map), /*tls=*/true, std::chrono::steady_clock::now());
  REQUIRE_FALSE(table.has_value());
  CHECK(table.error().message.find("scheme") != std::string::npos);
}

TEST_CASE("keys go to their ring owner, bucket requests and bypassed nodes to the endpoint",
          "[sdk][cluster]") {
  cluster_router router(10s);
  const auto now = std::chrono::steady_clock::now();
  CHECK_FALSE(router.route_for("b", "k", now).table);  // no map yet
  auto table = table_of(3);
  REQUIRE(router.install(table));
  CHECK(router.route_for("b", "", now).table == table);
  CHECK_FALSE(router.route_for("b", "", now).member);

  // Every key lands on the member the ring names, and all three own some.
  std::array<int, 3> owned{};
  std::string key_of_n2;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "seg-" + std::to_string(i);
    auto r = router.route_for("kv", key, now);
    REQUIRE(r.member);
    CHECK(*r.member == *table->ring.owner("kv", key));
    ++owned[*r.member];
    if (*r.member == 1 && key_of_n2.empty()) key_of_n2 = key;
  }
  CHECK(owned[0] > 0);
  CHECK(owned[1] > owned[0]);  // weight 2
  CHECK(owned[2] > 0);

  // n2 unreachable: its keys go to the endpoint until the bypass ends.
  CHECK(router.bypass(*table, 1, now));
  CHECK_FALSE(router.bypass(*table, 1, now + 1s));  // already bypassed: not a new change
  CHECK(router.bypassed_count(now + 2s) == 1);
  CHECK_FALSE(router.route_for("kv", key_of_n2, now + 2s).member);
  CHECK(router.route_for("kv", key_of_n2, now + 12s).member == std::optional<std::size_t>(1));
  CHECK(router.bypassed_count(now + 12s) == 0);
}

TEST_CASE("a newer map replaces the table and its bypasses, an older one is ignored",
          "[sdk][cluster]") {
  cluster_router router(10s);
  const auto now = std::chrono::steady_clock::now();
  auto v3 = table_of(3);
  REQUIRE(router.install(v3));
  REQUIRE(router.bypass(*v3, 0, now));
  CHECK_FALSE(router.install(table_of(2)));
  CHECK(router.table() == v3);
  // The same version fetched again: kept bypasses, not a change worth logging.
  CHECK_FALSE(router.install(table_of(3)));
  CHECK(router.bypassed_count(now) == 1);
  // n3 marked down in version 4: it owns nothing, and the bypasses reset.
  REQUIRE(router.install(table_of(4, "down")));
  CHECK(router.bypassed_count(now) == 0);
  for (int i = 0; i < 200; ++i) {
    auto r = router.route_for("kv", "k" + std::to_string(i), now);
    REQUIRE(r.member);
    CHECK(*r.member != 2);
  }
}
