#include "kvgate/gateway/request_id.h"

#include <catch2/catch.hpp>
#include <set>

using kvgate::gateway::request_id_generator;

TEST_CASE("request ids are 16 upper-case hex digits") {
  CHECK(request_id_generator::format(0) == "0000000000000000");
  CHECK(request_id_generator::format(0xDEADBEEF12345678ull) == "DEADBEEF12345678");
  request_id_generator g;
  auto id = g.next();
  REQUIRE(id.size() == 16);
  for (char c : id) CHECK(((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')));
}

TEST_CASE("consecutive request ids are distinct and follow the base") {
  request_id_generator g(0xFFFFFFFFFFFFFFFEull);
  CHECK(g.next() == "FFFFFFFFFFFFFFFE");
  CHECK(g.next() == "FFFFFFFFFFFFFFFF");
  CHECK(g.next() == "0000000000000000");
  std::set<std::string> seen;
  request_id_generator r;
  for (int i = 0; i < 1000; ++i) seen.insert(r.next());
  CHECK(seen.size() == 1000);
}
