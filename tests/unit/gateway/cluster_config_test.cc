// The [cluster] table (cluster_config.h): members in file order, defaults,
// ring names, and errors that name the key.
#include <catch2/catch.hpp>
#include <string>

#include "kvgate/gateway/config.h"

using namespace kvgate::gateway;

namespace {

config_result<server_config> resolve_toml(std::string_view text) {
  auto file = layer_from_toml(text, "test.toml");
  if (!file) return file.error();
  return resolve_config({}, {}, *file, 4);
}

std::string error_key(std::string_view text) {
  auto r = resolve_toml(text);
  REQUIRE_FALSE(r.has_value());
  return r.error().key + ": " + r.error().message;
}

constexpr std::string_view kMap = R"(
[cluster]
id = "kv-east"
map_version = 7
self = "b"
[[cluster.members]]
id = "a"
s3_endpoint = "http://10.0.0.1:9000"
rdma_listener = "10.0.1.1:7471"
weight = 3
[[cluster.members]]
id = "b"
s3_endpoint = "https://node-b.example:9443/"
state = "down"
)";

}  // namespace

TEST_CASE("no [cluster] table: not in a cluster") {
  auto c = resolve_toml("");
  REQUIRE(c.has_value());
  CHECK_FALSE(c->cluster.enabled());
  CHECK(c->cluster.members.empty());
}

TEST_CASE("the cluster map keeps member order, values and defaults") {
  auto c = resolve_toml(kMap);
  REQUIRE(c.has_value());
  const cluster_config& m = c->cluster;
  CHECK(m.enabled());
  CHECK(m.id == "kv-east");
  CHECK(m.map_version == 7);
  CHECK(m.self == "b");
  REQUIRE(m.members.size() == 2);
  CHECK(m.members[0] ==
        cluster_member{"a", "http://10.0.0.1:9000", "10.0.1.1:7471", 3, member_state::active});
  CHECK(m.members[1] ==
        cluster_member{"b", "https://node-b.example:9443/", "", 1, member_state::down});
}

TEST_CASE("ring names are the endpoint's host:port") {
  CHECK(ring_name("http://10.0.0.1:9000") == "10.0.0.1:9000");
  CHECK(ring_name("https://node-b.example:9443/") == "node-b.example:9443");
  CHECK(ring_name("10.0.0.1:9000") == "10.0.0.1:9000");
}

TEST_CASE("invalid cluster maps name the key") {
  auto with = [](std::string_view from, std::string_view to) {
    std::string text(kMap);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  CHECK_THAT(error_key(with("self = \"b\"", "self = \"z\"")), Catch::StartsWith("cluster.self:"));
  CHECK_THAT(error_key(with("self = \"b\"\n", "")), Catch::StartsWith("cluster.self:"));
  CHECK_THAT(error_key(with("map_version = 7", "map_version = 0")),
             Catch::StartsWith("cluster.map_version:"));
  CHECK_THAT(error_key(with("id = \"kv-east\"", "id = \"kv east\"")),
             Catch::StartsWith("cluster.id:"));
  CHECK_THAT(error_key(with("weight = 3", "weight = 101")), Catch::Contains(".weight:"));
  CHECK_THAT(error_key(with("state = \"down\"", "state = \"draining\"")),
             Catch::Contains("not active or down"));
  CHECK_THAT(error_key(with("id = \"b\"", "id = \"a\"")), Catch::Contains("appears twice"));
  CHECK_THAT(error_key(with("https://node-b.example:9443/", "http://10.0.0.1:9000")),
             Catch::Contains("appears twice"));
  CHECK_THAT(error_key(with("http://10.0.0.1:9000", "ftp://10.0.0.1:9000")),
             Catch::Contains(".s3_endpoint:"));
  CHECK_THAT(error_key(with("10.0.1.1:7471", "10.0.1.1")), Catch::Contains(".rdma_listener:"));
  CHECK_THAT(error_key(with("weight = 3", "colour = 3")), Catch::Contains("colour"));
  CHECK_THAT(error_key(with("map_version = 7", "map_version = 7\nport = 1")),
             Catch::StartsWith("cluster.port:"));
  CHECK_THAT(error_key("[cluster]\nid = \"x\"\nmap_version = 1\nself = \"a\"\n"),
             Catch::StartsWith("cluster.members:"));
  CHECK_THAT(error_key("cluster = 3\n"), Catch::StartsWith("cluster:"));
}
