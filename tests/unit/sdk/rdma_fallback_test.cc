// The SDK's RDMA fallback state machine (sdk/include/kvgate/sdk/rdma_fallback.h,
// docs/sdk.md "RDMA fallback"): every route, discovery outcome, reply, decline
// reason and timeout, with an injected clock.
#include "kvgate/sdk/rdma_fallback.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace kvgate::sdk;
using namespace std::chrono_literals;
using kvgate::rdma::kAllDeclineReasons;

namespace {

struct transition {
  path_state from;
  path_state to;
};

struct fixture {
  explicit fixture(rdma_mode mode = rdma_mode::automatic) {
    config.mode = mode;
    config.min_rdma_bytes = 1024;
    config.unsupported_ttl = 60s;
    config.degraded_initial_cooldown = 1000ms;
    config.degraded_max_cooldown = 8000ms;
  }
  rdma_path make() {
    return rdma_path("test rail 0", config,
                     [this](path_state from, path_state to, std::string_view) {
                       log.push_back({from, to});
                     });
  }
  rdma_fallback_config config;
  std::vector<transition> log;
  steady_time t0 = steady_time{} + 1000s;
};

rdma_request_facts eligible(rdma_operation op = rdma_operation::get,
                            std::uint64_t bytes = 1 << 20) {
  return {op, bytes, true, true};
}

server_limits limits() {
  return {4096, 1ull << 30};
}

rdma_path supported_path(fixture& f) {
  auto p = f.make();
  REQUIRE(p.route_for(eligible(), f.t0).path == route::discover);
  p.on_discovery(discovery_outcome::rc1_offered, limits(), f.t0);
  REQUIRE(p.state() == path_state::supported);
  return p;
}

rdma_reply decline(decline_reason r, rdma_operation op = rdma_operation::put, unsigned attempt = 1,
                   bool body = false) {
  rdma_reply reply;
  reply.kind = reply_kind::declined;
  reply.reason = r;
  reply.operation = op;
  reply.attempt = attempt;
  reply.body_delivered = body;
  return reply;
}

}  // namespace

TEST_CASE("an unknown path asks for discovery, rc1 makes it supported", "[sdk][rdma]") {
  fixture f;
  auto p = f.make();
  CHECK(p.state() == path_state::unknown);
  CHECK(p.route_for(eligible(), f.t0).path == route::discover);
  p.on_discovery(discovery_outcome::rc1_offered, limits(), f.t0);
  CHECK(p.state() == path_state::supported);
  CHECK(p.route_for(eligible(), f.t0).path == route::rdma);
  CHECK(p.counters().discoveries == 1);
  REQUIRE(f.log.size() == 1);
  CHECK(f.log[0].from == path_state::unknown);
  CHECK(f.log[0].to == path_state::supported);
}

TEST_CASE("local eligibility decides before the server is asked", "[sdk][rdma]") {
  fixture f;
  auto p = supported_path(f);
  auto reason = [&](rdma_request_facts facts) { return p.route_for(facts, f.t0).local_reason; };
  CHECK(reason({rdma_operation::get, 1 << 20, false, true}) == ineligible_reason::no_device);
  CHECK(reason({rdma_operation::get, 1 << 20, true, false}) ==
        ineligible_reason::buffer_not_registered);
  CHECK(reason({rdma_operation::get, 1000, true, true}) == ineligible_reason::below_min_size);
  // The server's min_rdma_bytes (4096) is stricter than the local one (1024).
  CHECK(reason({rdma_operation::get, 2000, true, true}) == ineligible_reason::below_min_size);
  CHECK(reason({rdma_operation::put, (1ull << 30) + 1, true, true}) ==
        ineligible_reason::above_max_size);
  CHECK(reason({rdma_operation::other, 1 << 20, true, true}) ==
        ineligible_reason::operation_not_supported);
  CHECK_FALSE(reason(eligible(rdma_operation::upload_part)).has_value());
  CHECK(p.counters().ineligible[static_cast<std::size_t>(ineligible_reason::no_device)] == 1);
  CHECK(p.counters().ineligible[static_cast<std::size_t>(ineligible_reason::below_min_size)] == 2);
  CHECK(f.log.size() == 1);  // eligibility never changes the path's state
}

TEST_CASE("rdma off always routes TCP without discovery", "[sdk][rdma]") {
  fixture f(rdma_mode::off);
  auto p = f.make();
  const auto d = p.route_for(eligible(), f.t0);
  CHECK(d.path == route::tcp);
  CHECK(d.local_reason == ineligible_reason::mode_off);
  CHECK(p.state() == path_state::unknown);
}

TEST_CASE("rdma on fails instead of falling back, except for small objects", "[sdk][rdma]") {
  fixture f(rdma_mode::on);
  auto p = f.make();
  CHECK(p.route_for({rdma_operation::get, 1 << 20, false, true}, f.t0).path == route::fail);
  CHECK(p.route_for({rdma_operation::get, 1 << 20, true, false}, f.t0).path == route::fail);
  CHECK(p.route_for({rdma_operation::get, 100, false, false}, f.t0).path == route::tcp);
  p.on_discovery(discovery_outcome::no_transports, {}, f.t0);
  CHECK(p.route_for(eligible(), f.t0).path == route::fail);
}

TEST_CASE("a server without RDMA is unsupported for the TTL, then rediscovered", "[sdk][rdma]") {
  for (auto outcome : {discovery_outcome::no_transports, discovery_outcome::not_supported}) {
    fixture f;
    auto p = f.make();
    p.on_discovery(outcome, {}, f.t0);
    CHECK(p.state() == path_state::unsupported);
    const auto d = p.route_for(eligible(), f.t0 + 59s);
    CHECK(d.path == route::tcp);
    CHECK_FALSE(d.local_reason.has_value());
    CHECK(p.counters().fallbacks == 1);
    CHECK(p.route_for(eligible(), f.t0 + 60s).path == route::discover);
    CHECK(p.state() == path_state::unknown);
    REQUIRE(f.log.size() == 2);
    CHECK(f.log[1].to == path_state::unknown);
  }
}

TEST_CASE("a failed discovery degrades the path and is retried after the cool-down",
          "[sdk][rdma]") {
  fixture f;
  auto p = f.make();
  p.on_discovery(discovery_outcome::failed, {}, f.t0);
  CHECK(p.state() == path_state::degraded);
  CHECK(p.route_for(eligible(), f.t0 + 999ms).path == route::tcp);
  CHECK(p.route_for(eligible(), f.t0 + 1000ms).path == route::discover);
  // One probe at a time: others go TCP meanwhile.
  CHECK(p.route_for(eligible(), f.t0 + 1001ms).path == route::tcp);
  p.on_discovery(discovery_outcome::rc1_offered, limits(), f.t0 + 1100ms);
  CHECK(p.state() == path_state::supported);
}

TEST_CASE("a completed transfer is counted and keeps the path supported", "[sdk][rdma]") {
  fixture f;
  auto p = supported_path(f);
  rdma_reply ok;
  ok.kind = reply_kind::completed;
  ok.bytes = 1 << 20;
  const auto a = p.on_reply(ok, f.t0);
  CHECK(a.step == next_step::done);
  CHECK_FALSE(a.drop_session);
  CHECK_FALSE(a.must_fence_window);
  CHECK(p.counters().rdma_ops == 1);
  CHECK(p.counters().rdma_bytes == 1 << 20);
  CHECK(f.log.size() == 1);
}

TEST_CASE("every decline reason has one handling", "[sdk][rdma]") {
  struct expectation {
    decline_reason reason;
    next_step step;
    bool drop_session;
    path_state after;
  };
  const std::vector<expectation> table = {
      {decline_reason::not_enabled, next_step::tcp, true, path_state::unsupported},
      {decline_reason::transport_unsupported, next_step::tcp, true, path_state::unsupported},
      {decline_reason::too_large, next_step::tcp, false, path_state::supported},
      {decline_reason::below_threshold, next_step::tcp, false, path_state::supported},
      {decline_reason::window_too_small, next_step::tcp, false, path_state::supported},
      {decline_reason::busy, next_step::tcp, false, path_state::supported},
      {decline_reason::no_session, next_step::retry_rdma_new_session, true, path_state::supported},
      {decline_reason::session_expired, next_step::retry_rdma_new_session, true,
       path_state::supported},
      {decline_reason::transport_error, next_step::tcp, true, path_state::degraded},
  };
  REQUIRE(table.size() == kAllDeclineReasons.size());
  for (const auto& e : table) {
    INFO(kvgate::rdma::to_string(e.reason));
    fixture f;
    auto p = supported_path(f);
    const auto a = p.on_reply(decline(e.reason), f.t0);
    CHECK(a.step == e.step);
    CHECK(a.drop_session == e.drop_session);
    CHECK_FALSE(a.must_fence_window);
    CHECK(p.state() == e.after);
    const auto index = static_cast<std::size_t>(
        std::find(kAllDeclineReasons.begin(), kAllDeclineReasons.end(), e.reason) -
        kAllDeclineReasons.begin());
    CHECK(p.counters().declines[index] == 1);
    CHECK(p.counters().fallbacks == (e.step == next_step::tcp ? 1u : 0u));
  }
}

TEST_CASE("a declined GET whose body came back is done, for every reason", "[sdk][rdma]") {
  for (auto reason : kAllDeclineReasons) {
    INFO(kvgate::rdma::to_string(reason));
    fixture f;
    auto p = supported_path(f);
    const auto a = p.on_reply(decline(reason, rdma_operation::get, 1, true), f.t0);
    CHECK(a.step == next_step::done);
    CHECK(p.counters().fallbacks == 1);
  }
}

TEST_CASE("session expiry is retried once over RDMA, then TCP", "[sdk][rdma]") {
  for (auto reason : {decline_reason::session_expired, decline_reason::no_session}) {
    fixture f;
    auto p = supported_path(f);
    CHECK(p.on_reply(decline(reason, rdma_operation::put, 1), f.t0).step ==
          next_step::retry_rdma_new_session);
    const auto second = p.on_reply(decline(reason, rdma_operation::put, 2), f.t0);
    CHECK(second.step == next_step::tcp);
    CHECK(second.drop_session);
    CHECK(p.counters().session_retries == 1);
    CHECK(p.state() == path_state::supported);
  }
}

TEST_CASE("a transfer failure degrades the path, the cool-down doubles up to the cap",
          "[sdk][rdma]") {
  fixture f;
  auto p = supported_path(f);
  rdma_reply failed;
  failed.kind = reply_kind::transfer_failed;
  failed.reason = decline_reason::transport_error;
  auto now = f.t0;
  const std::vector<std::chrono::milliseconds> cooldowns = {1000ms, 2000ms, 4000ms, 8000ms, 8000ms};
  for (auto expected : cooldowns) {
    const auto a = p.on_reply(failed, now);
    CHECK(a.step == next_step::tcp);
    CHECK(a.drop_session);
    CHECK(p.state() == path_state::degraded);
    CHECK(p.current_cooldown() == expected);
    CHECK(p.route_for(eligible(), now + expected - 1ms).path == route::tcp);
    now += expected;
    CHECK(p.route_for(eligible(), now).path == route::rdma);  // the probe
  }
  CHECK(p.counters().failures == cooldowns.size());
  // One supported -> degraded change only: repeated failures are not new states.
  CHECK(f.log.size() == 2);
  rdma_reply ok;
  ok.kind = reply_kind::completed;
  p.on_reply(ok, now);
  CHECK(p.state() == path_state::supported);
  CHECK(p.current_cooldown() == 1000ms);
  CHECK(f.log.size() == 3);
}

TEST_CASE("a timeout or lost connection fences the window before TCP", "[sdk][rdma]") {
  for (auto kind : {reply_kind::timed_out, reply_kind::connection_lost}) {
    fixture f;
    auto p = supported_path(f);
    rdma_reply r;
    r.kind = kind;
    const auto a = p.on_reply(r, f.t0);
    CHECK(a.must_fence_window);
    CHECK(a.drop_session);
    CHECK(a.step == next_step::tcp);
    CHECK(p.counters().fences == 1);
    CHECK(p.state() == path_state::degraded);
  }
}

TEST_CASE("a refused token degrades the path, a decline without reason is a failure",
          "[sdk][rdma]") {
  fixture f;
  auto p = supported_path(f);
  rdma_reply bad;
  bad.kind = reply_kind::malformed_token;
  CHECK(p.on_reply(bad, f.t0).step == next_step::tcp);
  CHECK(p.state() == path_state::degraded);
  fixture g;
  auto q = supported_path(g);
  rdma_reply odd;
  odd.kind = reply_kind::declined;
  CHECK(q.on_reply(odd, g.t0).step == next_step::tcp);
  CHECK(q.state() == path_state::degraded);
}

TEST_CASE("with rdma on, every fallback after a reply becomes a failure", "[sdk][rdma]") {
  fixture f(rdma_mode::on);
  auto p = supported_path(f);
  CHECK(p.on_reply(decline(decline_reason::busy), f.t0).step == next_step::fail);
  rdma_reply timeout;
  timeout.kind = reply_kind::timed_out;
  const auto a = p.on_reply(timeout, f.t0);
  CHECK(a.step == next_step::fail);
  CHECK(a.must_fence_window);                                // fencing is still required
  CHECK(p.route_for(eligible(), f.t0).path == route::fail);  // cooling down
  CHECK(p.counters().fallbacks == 0);
}

TEST_CASE("rdma mode names parse and print", "[sdk][rdma]") {
  for (auto m : {rdma_mode::off, rdma_mode::automatic, rdma_mode::on})
    CHECK(parse_rdma_mode(to_string(m)) == m);
  CHECK_FALSE(parse_rdma_mode("yes").has_value());
}
