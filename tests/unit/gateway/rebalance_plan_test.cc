// `kvgate rebalance`'s plan (gateway/main/rebalance_plan.h): which listed
// objects move, which only lose their stale copy, which stay.
#include "rebalance_plan.h"

#include <catch2/catch.hpp>

#include "kvgate/sdk/ketama_ring.h"

using namespace kvgate::cli;
using namespace std::chrono_literals;

namespace {

agreed_map three_nodes() {
  agreed_map map;
  map.routing = {"kv", 3};
  for (int i = 0; i < 3; ++i)
    map.members.push_back({"n" + std::to_string(i + 1),
                           "http://10.0.0." + std::to_string(i + 1) + ":9000",
                           "10.0.0." + std::to_string(i + 1) + ":9000", 1, true});
  return map;
}

std::size_t owner_of(const agreed_map& map, const std::string& key) {
  std::vector<kvgate::sdk::ring_member> members;
  for (const auto& m : map.members) members.push_back({m.ring_name, m.weight, !m.active});
  return *kvgate::sdk::ketama_ring(std::move(members)).owner("b1", key);
}

// A key owned by `owner`, the n-th such key.
std::string key_owned_by(const agreed_map& map, std::size_t owner, int n = 0) {
  for (int i = 0;; ++i) {
    std::string key = "k" + std::to_string(i);
    if (owner_of(map, key) == owner && n-- == 0) return key;
  }
}

listed_object on(std::size_t holder, std::string key, std::uint64_t size = 100,
                 std::string etag = "e", std::string modified = "2026-11-23T12:00:00.000Z") {
  return {holder, "b1", std::move(key), size, std::move(etag), std::move(modified)};
}

}  // namespace

TEST_CASE("objects on their owner stay, others move to the ring's owner") {
  const auto map = three_nodes();
  inventory inv;
  const std::string mine = key_owned_by(map, 0), theirs = key_owned_by(map, 2);
  inv.objects = {on(0, mine), on(0, theirs, 300)};
  const auto plan = plan_rebalance(map, inv, {});
  CHECK(plan.in_place == 1);
  REQUIRE(plan.moves.size() == 1);
  CHECK(plan.moves[0].object.key == theirs);
  CHECK(plan.moves[0].owner == 2);
  CHECK_FALSE(plan.moves[0].already_there);
  CHECK(plan.copies() == 1);
  CHECK(plan.bytes_to_copy() == 300);
}

TEST_CASE("a copy the owner lists with the same ETag only loses the stale one") {
  const auto map = three_nodes();
  const std::string key = key_owned_by(map, 1), multipart = key_owned_by(map, 1, 1),
                    other = key_owned_by(map, 1, 2);
  inventory inv;
  inv.objects = {on(0, key, 100, "abc"), on(1, key, 100, "abc"),
                 // multipart ETag on the old node, a single-PUT copy on the owner
                 on(2, multipart, 100, "abc-3"), on(1, multipart, 100, "def"),
                 // the owner has another version: copied (the PUT gets 412 and it wins)
                 on(0, other, 100, "old"), on(1, other, 50, "new")};
  const auto plan = plan_rebalance(map, inv, {});
  CHECK(plan.in_place == 3);
  REQUIRE(plan.moves.size() == 3);
  CHECK(plan.moves[0].already_there);
  CHECK(plan.moves[1].already_there);
  CHECK_FALSE(plan.moves[2].already_there);
  CHECK(plan.copies() == 1);
}

TEST_CASE(
    "the max-age option leaves older objects and the max-object-size option reports larger ones") {
  const auto map = three_nodes();
  const std::string old_key = key_owned_by(map, 1), new_key = key_owned_by(map, 1, 1),
                    big = key_owned_by(map, 1, 2);
  inventory inv;
  inv.objects = {on(0, old_key, 10, "e", "2026-11-23T10:00:00.000Z"),
                 on(0, new_key, 20, "e", "2026-11-23T11:30:00.000Z"),
                 on(0, big, 5000, "e", "2026-11-23T11:59:00.000Z")};
  plan_limits limits;
  limits.max_age = 1h;
  limits.max_object_size = 1000;
  limits.now = *parse_last_modified("2026-11-23T12:00:00Z");
  const auto plan = plan_rebalance(map, inv, limits);
  CHECK(plan.skipped_old == 1);
  CHECK(plan.skipped_old_bytes == 10);
  REQUIRE(plan.too_large.size() == 1);
  CHECK(plan.too_large[0].key == big);
  REQUIRE(plan.moves.size() == 1);
  CHECK(plan.moves[0].object.key == new_key);
}

TEST_CASE("a member that is down owns nothing and with none up nothing has an owner") {
  auto map = three_nodes();
  const std::string key = key_owned_by(map, 1);
  map.members[1].active = false;
  inventory inv;
  inv.objects = {on(0, key)};
  const std::size_t next = owner_of(map, key);
  CHECK(next != 1);
  auto plan = plan_rebalance(map, inv, {});
  if (next == 0) {
    CHECK(plan.in_place == 1);
  } else {
    REQUIRE(plan.moves.size() == 1);
    CHECK(plan.moves[0].owner == next);
  }
  for (auto& m : map.members) m.active = false;
  plan = plan_rebalance(map, inv, {});
  CHECK(plan.no_owner == 1);
  CHECK(plan.moves.empty());
}

TEST_CASE("S3 LastModified parses to the second") {
  const auto t = parse_last_modified("2026-11-23T23:58:17.000Z");
  REQUIRE(t.has_value());
  CHECK(std::chrono::floor<std::chrono::seconds>(*t).time_since_epoch().count() == 1795478297);
  CHECK_FALSE(parse_last_modified("yesterday").has_value());
  CHECK_FALSE(parse_last_modified("2026-13-40T00:00:00Z").has_value());
}
