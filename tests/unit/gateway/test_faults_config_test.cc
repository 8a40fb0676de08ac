// The TEST ONLY [testing] table (test_faults_config.h): rules in file order
// with their defaults, and errors that name the key.
#include <catch2/catch.hpp>
#include <string>

#include "kvgate/gateway/config.h"

using namespace kvgate::gateway;

namespace {

config_result<server_config> resolve_toml(std::string_view text) {
  auto file = layer_from_toml(text, "test.toml");
  if (!file) return file.error();
  return resolve_config({}, {}, *file, 4);  // six default data directories
}

std::string error_of(std::string_view text) {
  auto r = resolve_toml(text);
  REQUIRE_FALSE(r.has_value());
  return r.error().key + ": " + r.error().message;
}

}  // namespace

TEST_CASE("no [testing] table: no test faults", "[config][testing]") {
  auto c = resolve_toml("");
  REQUIRE(c.has_value());
  CHECK_FALSE(c->testing.present);
  CHECK(c->testing.disk_faults.empty());
}

TEST_CASE("an empty [testing] table is present with no rules", "[config][testing]") {
  auto c = resolve_toml("[testing]\n");
  REQUIRE(c.has_value());
  CHECK(c->testing.present);
  CHECK(c->testing.disk_faults.empty());
}

TEST_CASE("disk fault rules keep file order, values and defaults", "[config][testing]") {
  auto c = resolve_toml(R"(
[[testing.disk_faults]]
disk = 3
op = "write"
delay_ms = 1500
probability = 0.5
path_contains = "buckets/"
[[testing.disk_faults]]
disk = 6
kind = "fail"
)");
  REQUIRE(c.has_value());
  REQUIRE(c->testing.disk_faults.size() == 2);
  const disk_fault_spec& a = c->testing.disk_faults[0];
  CHECK(a.disk == 2);
  CHECK(a.op == "write");
  CHECK(a.kind == "delay");
  CHECK(a.delay == std::chrono::milliseconds(1500));
  CHECK(a.probability == 0.5);
  CHECK(a.path_contains == "buckets/");
  const disk_fault_spec& b = c->testing.disk_faults[1];
  CHECK(b.disk == 5);
  CHECK(b.op == "any");
  CHECK(b.kind == "fail");
  CHECK(b.probability == 1.0);
}

TEST_CASE("bad disk fault rules stop start-up naming the key", "[config][testing]") {
  CHECK_THAT(error_of("[testing]\nspeed = 1\n"),
             Catch::Contains("unknown configuration key testing.speed"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\nlatency = 1\n"),
             Catch::Contains("testing.disk_faults[0].latency"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndisk = 7\ndelay_ms = 5\n"),
             Catch::Contains("testing.disk_faults.0000.disk") && Catch::Contains("from 1 to 6"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndelay_ms = 5\n"), Catch::Contains("needs disk"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndisk = 1\n"), Catch::Contains("needs delay_ms"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\nop = \"fsync\"\n"),
             Catch::Contains("\"fsync\" is not one of"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\nprobability = 0.0\n"),
             Catch::Contains("(0, 1]"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\nprobability = \"x\"\n"),
             Catch::Contains("wrong type"));
  CHECK_THAT(error_of("[[testing.disk_faults]]\ndisk = \"1\"\ndelay_ms = 5\n"),
             Catch::Contains("wrong type"));
  CHECK_THAT(
      error_of("[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\npath_contains = 3\n"),
      Catch::Contains("testing.disk_faults.0000.path_contains") && Catch::Contains("wrong type"));
  CHECK_THAT(error_of("[testing]\ndisk_faults = 3\n"),
             Catch::Contains("expected [[testing.disk_faults]] tables"));
}
