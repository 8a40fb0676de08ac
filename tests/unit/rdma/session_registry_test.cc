#include "kvgate/rdma/session_registry.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

#include "kvgate/rdma/connect_request.h"
#include "result_string_maker.h"

using namespace kvgate::rdma;
using namespace std::chrono_literals;

namespace {

// A manual clock shared with the registry: tests advance it, nothing sleeps.
struct manual_clock {
  std::shared_ptr<session_clock::time_point> now =
      std::make_shared<session_clock::time_point>(session_clock::time_point(1000h));
  now_function fn() const {
    return [n = now] { return *n; };
  }
  void advance(session_clock::duration d) { *now += d; }
};

session_limits small_limits() {
  session_limits l;
  l.max_sessions_per_key = 2;
  l.max_inflight_per_session = 2;
  l.ttl = 60s;
  return l;
}

}  // namespace

TEST_CASE("created sessions have random ids and secrets", "[rdma][session]") {
  session_registry reg({}, manual_clock{}.fn());
  std::set<std::string> ids, secrets;
  for (int i = 0; i < 50; ++i) {
    const auto g = reg.create("AK");
    REQUIRE(g);
    CHECK(ids.insert(to_string(g->id)).second);
    CHECK(secrets.insert(to_string(g->secret)).second);
    CHECK(to_string(g->id).size() == 32);
    CHECK(g->ttl == 600s);
  }
  CHECK(reg.size() == 50);
}

TEST_CASE("sessions per access key are limited", "[rdma][session]") {
  session_registry reg(small_limits(), manual_clock{}.fn());
  const auto a = reg.create("AK");
  REQUIRE(a);
  REQUIRE(reg.create("AK"));
  const auto third = reg.create("AK");
  REQUIRE_FALSE(third);
  CHECK(third.error() == rdma_errc::session_limit);
  CHECK(reg.create("OTHER"));  // limits are per key
  CHECK(reg.remove(a->id, "AK"));
  CHECK(reg.create("AK"));
}

TEST_CASE("a session of another access key is no-session", "[rdma][session]") {
  session_registry reg(small_limits(), manual_clock{}.fn());
  const auto g = reg.create("AK").value();
  CHECK(reg.find(g.id, "AK"));
  const auto other = reg.find(g.id, "EVE");
  REQUIRE_FALSE(other);
  CHECK(other.error() == rdma_errc::no_session);
  CHECK(reg.find(session_id{}, "AK").error() == rdma_errc::no_session);
  CHECK_FALSE(reg.remove(g.id, "EVE"));
  CHECK(reg.size() == 1);
}

TEST_CASE("connect secret redeems exactly once", "[rdma][session]") {
  session_registry reg(small_limits(), manual_clock{}.fn());
  const auto g = reg.create("AK").value();
  connect_secret wrong = g.secret;
  wrong.bytes[15] ^= std::byte{1};
  CHECK(reg.redeem(g.id, wrong).error() == rdma_errc::bad_secret);
  CHECK(reg.redeem(session_id{}, g.secret).error() == rdma_errc::bad_secret);
  const auto s = reg.redeem(g.id, g.secret);
  REQUIRE(s);
  CHECK((*s)->connected());
  CHECK(reg.redeem(g.id, g.secret).error() == rdma_errc::bad_secret);
}

TEST_CASE("connect private data round-trips and admits via the registry", "[rdma][session]") {
  session_registry reg(small_limits(), manual_clock{}.fn());
  const auto g = reg.create("AK").value();
  const auto data = encode_connect_request({g.id, g.secret});
  REQUIRE(data.size() == 40);
  CHECK(data[0] == std::byte{'K'});
  CHECK(data[4] == std::byte{1});

  // IB CM hands the receiver padded private data (56 bytes for RC).
  std::vector<std::byte> padded(data.begin(), data.end());
  padded.resize(56, std::byte{0});
  const auto decoded = decode_connect_request(padded);
  REQUIRE(decoded);
  CHECK(decoded->session == g.id);
  CHECK(secrets_equal(decoded->secret, g.secret));

  for (std::size_t i : {0u, 4u, 5u, 7u}) {
    auto bad = data;
    bad[i] ^= std::byte{0x40};
    CHECK(decode_connect_request(bad).error() == rdma_errc::bad_private_data);
  }
  CHECK(decode_connect_request(std::span(data).first(39)).error() == rdma_errc::bad_private_data);

  const auto admitted = admit_connect_request(reg, padded);
  REQUIRE(admitted);
  CHECK((*admitted)->id() == g.id);
  CHECK(admit_connect_request(reg, padded).error() == rdma_errc::bad_secret);
}

TEST_CASE("transfers need a connected session and respect the in-flight limit", "[rdma][session]") {
  session_registry reg(small_limits(), manual_clock{}.fn());
  const auto g = reg.create("AK").value();
  CHECK(reg.begin_transfer(g.id, "AK").error() == rdma_errc::not_connected);
  REQUIRE(reg.redeem(g.id, g.secret));
  auto t1 = reg.begin_transfer(g.id, "AK");
  auto t2 = reg.begin_transfer(g.id, "AK");
  REQUIRE(t1);
  REQUIRE(t2);
  CHECK(reg.begin_transfer(g.id, "AK").error() == rdma_errc::busy);
  CHECK(reg.begin_transfer(g.id, "EVE").error() == rdma_errc::no_session);
  t1 = transfer_ticket{};  // releases its slot
  CHECK((*t2).session()->inflight() == 1);
  CHECK(reg.begin_transfer(g.id, "AK"));
}

TEST_CASE("idle sessions expire after the TTL and are reaped", "[rdma][session]") {
  manual_clock clock;
  session_registry reg(small_limits(), clock.fn());
  std::vector<session_id> ended;
  reg.set_end_observer([&](const session_id& id) { ended.push_back(id); });
  const auto idle = reg.create("AK").value();
  const auto busy = reg.create("AK").value();
  REQUIRE(reg.redeem(busy.id, busy.secret));
  auto ticket = reg.begin_transfer(busy.id, "AK");
  REQUIRE(ticket);

  clock.advance(59s);
  CHECK(reg.find(idle.id, "AK"));  // touches: idle again from now
  clock.advance(61s);
  CHECK(reg.find(idle.id, "AK").error() == rdma_errc::session_expired);
  CHECK(reg.redeem(idle.id, idle.secret).error() == rdma_errc::bad_secret);

  // A session with a transfer in flight never expires.
  CHECK(reg.reap(*clock.now) == std::vector<session_id>{idle.id});
  CHECK(ended == std::vector<session_id>{idle.id});
  CHECK(reg.size() == 1);
  // Reaped, the session is remembered for one more TTL: its owner hears
  // session_expired, anyone else no_session.
  CHECK(reg.find(idle.id, "AK").error() == rdma_errc::session_expired);
  CHECK(reg.begin_transfer(idle.id, "AK").error() == rdma_errc::session_expired);
  CHECK(reg.find(idle.id, "EVE").error() == rdma_errc::no_session);

  *ticket = transfer_ticket{};
  clock.advance(61s);
  CHECK(reg.reap(*clock.now) == std::vector<session_id>{busy.id});
  CHECK(reg.size() == 0);
  // The first tombstone is older than a TTL by now: forgotten.
  CHECK(reg.find(idle.id, "AK").error() == rdma_errc::no_session);
  CHECK(reg.find(busy.id, "AK").error() == rdma_errc::session_expired);
}

TEST_CASE("a fenced session admits no transfer and ends once", "[rdma][session]") {
  session_registry reg(small_limits(), manual_clock{}.fn());
  int ends = 0;
  reg.set_end_observer([&](const session_id&) { ++ends; });
  const auto g = reg.create("AK").value();
  REQUIRE(reg.redeem(g.id, g.secret));
  auto s = reg.find(g.id, "AK").value();
  reg.fence(g.id);
  reg.fence(g.id);
  CHECK(ends == 1);
  CHECK(s->fenced());
  CHECK(reg.begin_transfer(g.id, "AK").error() == rdma_errc::session_fenced);
  CHECK(reg.find(g.id, "AK").error() == rdma_errc::session_fenced);
  CHECK(reg.remove(g.id, "AK"));
  CHECK(ends == 1);  // already ended by the fence
  CHECK(reg.find(g.id, "AK").error() == rdma_errc::no_session);
}

TEST_CASE("removing a session ends it", "[rdma][session]") {
  session_registry reg(small_limits(), manual_clock{}.fn());
  std::vector<session_id> ended;
  reg.set_end_observer([&](const session_id& id) { ended.push_back(id); });
  const auto g = reg.create("AK").value();
  const auto s = reg.redeem(g.id, g.secret).value();
  CHECK(reg.remove(g.id, "AK"));
  CHECK(s->fenced());
  CHECK(ended == std::vector<session_id>{g.id});
  CHECK_FALSE(reg.remove(g.id, "AK"));
}

TEST_CASE("concurrent create, transfer, fence and reap keep the counts right",
          "[rdma][session][concurrency]") {
  session_limits limits;
  limits.max_sessions_per_key = 1000;
  limits.max_inflight_per_session = 4;
  limits.ttl = 3600s;
  session_registry reg(limits);
  std::atomic<int> ends{0};
  reg.set_end_observer([&](const session_id&) { ends.fetch_add(1); });

  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "AK" + std::to_string(t % 2);
      for (int i = 0; i < kPerThread; ++i) {
        auto g = reg.create(key);
        if (!g) continue;
        if (!reg.redeem(g->id, g->secret)) continue;
        std::vector<transfer_ticket> tickets;
        for (int k = 0; k < 6; ++k) {
          auto tk = reg.begin_transfer(g->id, key);
          if (tk) {
            admitted.fetch_add(1);
            tickets.push_back(std::move(*tk));
          } else {
            refused.fetch_add(1);
          }
        }
        tickets.clear();
        if (i % 2) reg.fence(g->id);
        reg.remove(g->id, key);
        (void)reg.reap(session_clock::now());
      }
    });
  }
  for (auto& th : threads) th.join();
  // No Catch assertions on worker threads (TSan suite convention).
  CHECK(admitted.load() == kThreads * kPerThread * 4);
  CHECK(refused.load() == kThreads * kPerThread * 2);
  CHECK(ends.load() == kThreads * kPerThread);
  CHECK(reg.size() == 0);
}
