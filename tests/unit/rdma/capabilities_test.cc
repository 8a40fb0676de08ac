#include "kvgate/rdma/capabilities.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "result_string_maker.h"

using namespace kvgate::rdma;

TEST_CASE("capabilities document has the documented shape", "[rdma][json]") {
  capabilities caps;
  caps.transports = {"rc1"};
  caps.listener = listener_address{"10.0.2.15", 7471};
  const auto text = render_capabilities(caps);
  const auto j = nlohmann::json::parse(text);
  CHECK(j == nlohmann::json::parse(R"({
    "version": 1,
    "transports": ["rc1"],
    "listener": {"address": "10.0.2.15", "port": 7471},
    "limits": {"max_request_bytes": 1073741824, "min_rdma_bytes": 262144,
               "max_sessions_per_key": 64, "max_inflight_per_session": 64,
               "session_ttl_seconds": 600, "max_work_request_bytes": 1048576}})"));
  CHECK(parse_capabilities(text).value() == caps);
}

TEST_CASE("a gateway without RDMA advertises no transport and no listener", "[rdma][json]") {
  const capabilities off;
  const auto j = nlohmann::json::parse(render_capabilities(off));
  CHECK(j.at("transports").empty());
  CHECK_FALSE(j.contains("listener"));
  CHECK(parse_capabilities(render_capabilities(off)).value() == off);
}

TEST_CASE("session-created document round-trips", "[rdma][json]") {
  session_created c;
  c.session = *parse_session_id("7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7");
  c.secret = *parse_connect_secret("00112233445566778899aabbccddeeff");
  c.listener = {"fe80::1", 7471};
  c.limits.session_ttl_seconds = 30;
  const auto text = render_session_created(c);
  const auto j = nlohmann::json::parse(text);
  CHECK(j.at("session") == "7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7");
  CHECK(j.at("secret") == "00112233445566778899aabbccddeeff");
  CHECK(j.at("transport") == "rc1");
  CHECK(j.at("max_queue_pairs") == 1);
  CHECK(j.at("limits").at("session_ttl_seconds") == 30);
  CHECK(parse_session_created(text).value() == c);
}

TEST_CASE("documents of the wrong shape are refused", "[rdma][json]") {
  for (const char* text : {"", "{", "[]", R"({"version":2,"transports":[],"limits":{}})",
                           R"({"version":1,"transports":"rc1","limits":{}})"}) {
    INFO(text);
    CHECK(parse_capabilities(text).error() == rdma_errc::invalid_argument);
  }
  CHECK(parse_session_created(R"({"version":1,"transport":"rc1","session":"XYZ"})").error() ==
        rdma_errc::invalid_argument);
}
