#include "kvgate/rdma/reply.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "kvgate/rdma/errc.h"

using namespace kvgate::rdma;

TEST_CASE("decline reasons round-trip through their header spelling", "[rdma][reply]") {
  std::set<std::string> seen;
  for (decline_reason r : kAllDeclineReasons) {
    const auto s = to_string(r);
    CHECK(seen.insert(std::string(s)).second);
    CHECK(parse_decline_reason(s) == r);
  }
  CHECK(seen == std::set<std::string>{"not-enabled", "no-session", "session-expired",
                                      "window-too-small", "too-large", "below-threshold", "busy",
                                      "transport-unsupported", "transport-error"});
  CHECK_FALSE(parse_decline_reason("Busy"));
  CHECK_FALSE(parse_decline_reason(""));
}

TEST_CASE("rdma errors map onto decline reasons", "[rdma][reply]") {
  CHECK(decline_reason_for(rdma_errc::unsupported_transport) ==
        decline_reason::transport_unsupported);
  CHECK(decline_reason_for(rdma_errc::library_unavailable) == decline_reason::not_enabled);
  CHECK(decline_reason_for(rdma_errc::no_session) == decline_reason::no_session);
  CHECK(decline_reason_for(rdma_errc::not_connected) == decline_reason::no_session);
  CHECK(decline_reason_for(rdma_errc::session_expired) == decline_reason::session_expired);
  CHECK(decline_reason_for(rdma_errc::session_fenced) == decline_reason::transport_error);
  CHECK(decline_reason_for(rdma_errc::timeout) == decline_reason::transport_error);
  CHECK(decline_reason_for(rdma_errc::busy) == decline_reason::busy);
  CHECK(decline_reason_for(rdma_errc::window_too_small) == decline_reason::window_too_small);
  CHECK_FALSE(decline_reason_for(rdma_errc::malformed_token));
  CHECK_FALSE(decline_reason_for(rdma_errc::invalid_argument));
  CHECK_FALSE(decline_reason_for(std::make_error_code(std::errc::io_error)));
  CHECK(is_transient(decline_reason::busy));
  CHECK_FALSE(is_transient(decline_reason::no_session));
}

TEST_CASE("fallback header defaults to body", "[rdma][reply]") {
  CHECK(parse_fallback(std::nullopt) == fallback_mode::body);
  CHECK(parse_fallback("body") == fallback_mode::body);
  CHECK(parse_fallback("none") == fallback_mode::none);
  CHECK_FALSE(parse_fallback("NONE"));
  CHECK_FALSE(parse_fallback(""));
}

TEST_CASE("header names are lowercase x-amz-rdma-*", "[rdma][reply]") {
  for (auto h : {header::token, header::fallback, header::agent, header::content_length,
                 header::reply, header::reason, header::bytes_transferred, header::session}) {
    CHECK(h.substr(0, 11) == "x-amz-rdma-");
    for (char c : h) CHECK_FALSE((c >= 'A' && c <= 'Z'));
  }
}
