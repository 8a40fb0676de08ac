// The RDMA transfer state machine through the fault-injecting fake transport.
#include "kvgate/rdma/transfer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "kvgate/rdma/connect_request.h"
#include "kvgate/rdma/fake_transport.h"
#include "kvgate/rdma/reply.h"
#include "kvgate/rdma/session_registry.h"
#include "result_string_maker.h"

using namespace kvgate::rdma;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

constexpr std::size_t kChunk = 4096;
constexpr std::size_t kChunks = 4;

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 131 + seed) & 0xff);
  return v;
}

bool all_zero(std::span<const std::byte> s) {
  for (auto b : s)
    if (b != std::byte{0}) return false;
  return true;
}

// A gateway (registry, fake transport, staging pool) and one client with a
// registered 64 KiB buffer and a connected session.
struct rig {
  explicit rig(session_limits limits = {}, transfer_limits tl = test_limits())
      : sessions(limits, [this] { return now; }), net(io.get_executor(), sessions) {
    sessions.set_end_observer([this](const session_id& id) { net.end_session(id); });
    pool = staging_pool::create(net, {kChunk, kChunks}).value();
    services.emplace(transfer_services{net, sessions, pool, tl});
    client.resize(64 * 1024);
    rkey = net.register_client_memory(client);
    grant = sessions.create("AK").value();
    REQUIRE(net.connect(encode_connect_request({grant.id, grant.secret})));
  }

  static transfer_limits test_limits() {
    transfer_limits l;
    l.min_rdma_bytes = 1;
    l.max_request_bytes = 1 << 20;
    l.max_outstanding = kChunks;
    l.completion_timeout = 2000ms;
    return l;
  }

  rc1_token window(std::uint64_t offset, std::uint64_t length) const {
    return {reinterpret_cast<std::uint64_t>(client.data()) + offset, length, grant.id, rkey};
  }

  template <class T>
  T run(asio::awaitable<T> a) {
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
      error = e;
      out.emplace(std::move(v));
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
  }

  session_clock::time_point now = session_clock::time_point(1000h);
  asio::io_context io;
  session_registry sessions;
  fake_transport net;
  std::shared_ptr<staging_pool> pool;
  std::optional<transfer_services> services;
  std::vector<std::byte> client;
  std::uint32_t rkey = 0;
  session_grant grant;
};

// The S3 layer's GET loop: stream `source` into staging, RDMA-WRITE it.
asio::awaitable<result<std::uint64_t>> rdma_get(transfer_services& svc, rc1_token token,
                                                std::span<const std::byte> source,
                                                std::string_view key = "AK") {
  auto t =
      rdma_transfer::begin(svc, token, key, transfer_direction::write_to_client, source.size());
  if (!t) co_return t.error();
  std::uint64_t offset = 0;
  while (true) {
    auto chunk = co_await t->async_next_chunk();
    if (!chunk) break;
    if (chunk->empty()) break;
    std::memcpy(chunk->data(), source.data() + offset, chunk->size());
    offset += chunk->size();
    if (!t->post_write()) break;
  }
  co_return co_await t->async_finish();
}

// The S3 layer's PUT loop: RDMA-READ the payload, hand it on in order.
asio::awaitable<result<std::uint64_t>> rdma_put(transfer_services& svc, rc1_token token,
                                                std::uint64_t bytes, std::vector<std::byte>& sink) {
  auto t = rdma_transfer::begin(svc, token, "AK", transfer_direction::read_from_client, bytes);
  if (!t) co_return t.error();
  while (true) {
    auto data = co_await t->async_next_read();
    if (!data || data->empty()) break;
    sink.insert(sink.end(), data->begin(), data->end());
  }
  co_return co_await t->async_finish();
}

}  // namespace

TEST_CASE("work requests split the byte stream into chunk-sized pieces", "[rdma][transfer]") {
  CHECK(work_request_count(0, kChunk) == 0);
  CHECK(work_request_count(1, kChunk) == 1);
  CHECK(work_request_count(kChunk, kChunk) == 1);
  CHECK(work_request_count(kChunk + 1, kChunk) == 2);
  CHECK(work_request_count(32ull << 20, 1 << 20) == 32);
  CHECK(work_request_at(10000, kChunk, 0) == work_request_piece{0, kChunk});
  CHECK(work_request_at(10000, kChunk, 2) == work_request_piece{8192, 10000 - 8192});
  const std::uint64_t huge = UINT64_MAX - 5;
  const auto n = work_request_count(huge, 1 << 20);
  CHECK(n == (huge >> 20) + 1);
  CHECK(work_request_at(huge, 1 << 20, n - 1) ==
        work_request_piece{(n - 1) << 20, static_cast<std::size_t>(huge - ((n - 1) << 20))});
}

TEST_CASE("window checks refuse ranges outside the window", "[rdma][transfer]") {
  const rc1_token w{0x10000, 100, {}, 7};
  CHECK(window_target(w, 0, 100).value().addr == 0x10000);
  CHECK(window_target(w, 99, 1).value().addr == 0x10000 + 99);
  CHECK(window_target(w, 100, 0));
  CHECK(window_target(w, 0, 101).error() == rdma_errc::out_of_window);
  CHECK(window_target(w, 99, 2).error() == rdma_errc::out_of_window);
  CHECK(window_target(w, 101, 0).error() == rdma_errc::out_of_window);
  CHECK(window_target(w, UINT64_MAX, 2).error() == rdma_errc::out_of_window);
  CHECK(window_target(w, 2, UINT64_MAX).error() == rdma_errc::out_of_window);
  CHECK(check_window_holds(w, 100));
  CHECK(check_window_holds(w, 101).error() == rdma_errc::window_too_small);
  transfer_limits l;
  CHECK(check_transfer_size(l.max_request_bytes + 1, l).error() == rdma_errc::too_large);
  CHECK(check_transfer_size(l.min_rdma_bytes - 1, l).error() == rdma_errc::below_threshold);
  CHECK(check_transfer_size(l.min_rdma_bytes, l));
}

TEST_CASE("RDMA GET writes exactly the object into the window, pipelined", "[rdma][transfer]") {
  rig r;
  const auto object = pattern(5 * kChunk + 123, 1);
  // Window at offset 1000, larger than the object: bytes around it stay 0.
  const auto result = r.run(rdma_get(*r.services, r.window(1000, 40000), object));
  REQUIRE(result);
  CHECK(*result == object.size());
  CHECK(std::memcmp(r.client.data() + 1000, object.data(), object.size()) == 0);
  CHECK(all_zero(std::span(r.client).first(1000)));
  CHECK(all_zero(std::span(r.client).subspan(1000 + object.size())));
  CHECK(r.net.posted() == 6);
  CHECK(r.net.max_outstanding() == kChunks);  // bounded and actually pipelined
  CHECK(r.pool->available() == kChunks);
  CHECK(r.sessions.find(r.grant.id, "AK").value()->inflight() == 0);
}

TEST_CASE("RDMA PUT reads the payload in order", "[rdma][transfer]") {
  rig r;
  const auto payload = pattern(7 * kChunk + 5, 9);
  std::memcpy(r.client.data() + 4096, payload.data(), payload.size());
  std::vector<std::byte> sink;
  const auto result =
      r.run(rdma_put(*r.services, r.window(4096, payload.size()), payload.size(), sink));
  REQUIRE(result);
  CHECK(*result == payload.size());
  CHECK(sink == payload);
  CHECK(r.net.max_outstanding() <= kChunks);
  CHECK(r.pool->available() == kChunks);
}

TEST_CASE("admission declines map to the protocol's reasons", "[rdma][transfer]") {
  session_limits sl;
  sl.max_inflight_per_session = 1;
  sl.ttl = 60s;
  rig r(sl);
  const auto object = pattern(3 * kChunk, 2);
  auto decline = [&](const rc1_token& w, std::uint64_t n, std::string_view key = "AK") {
    auto t = rdma_transfer::begin(*r.services, w, key, transfer_direction::write_to_client, n);
    REQUIRE_FALSE(t);
    return decline_reason_for(t.error());
  };
  CHECK(decline(r.window(0, 1 << 21), (1 << 20) + 1) == decline_reason::too_large);
  CHECK(decline(r.window(0, 100), 0) == decline_reason::below_threshold);
  CHECK(decline(r.window(0, 100), 101) == decline_reason::window_too_small);
  CHECK(decline(r.window(0, 100), 100, "EVE") == decline_reason::no_session);

  auto other = r.window(0, 100);
  other.session = r.sessions.create("AK").value().id;  // never connected
  CHECK(decline(other, 100) == decline_reason::no_session);

  // In-flight limit of the session.
  auto first = rdma_transfer::begin(*r.services, r.window(0, 100), "AK",
                                    transfer_direction::write_to_client, 100);
  REQUIRE(first);
  CHECK(decline(r.window(0, 100), 100) == decline_reason::busy);
  first = rdma_transfer::begin(*r.services, r.window(0, 100), "AK",
                               transfer_direction::read_from_client, 100);
  CHECK_FALSE(first);  // the old transfer still held the slot while assigning
}

TEST_CASE("an exhausted staging pool declines busy", "[rdma][transfer]") {
  rig r;
  auto hog = r.pool->try_acquire(kChunks, r.grant.id).value();
  auto t = rdma_transfer::begin(*r.services, r.window(0, 100), "AK",
                                transfer_direction::write_to_client, 100);
  REQUIRE_FALSE(t);
  CHECK(decline_reason_for(t.error()) == decline_reason::busy);
  // The declined request did not keep its in-flight slot.
  CHECK(r.sessions.find(r.grant.id, "AK").value()->inflight() == 0);
}

TEST_CASE("an expired session declines session-expired", "[rdma][transfer]") {
  session_limits sl;
  sl.ttl = 60s;
  rig r(sl);
  r.now += 61s;
  auto t = rdma_transfer::begin(*r.services, r.window(0, 100), "AK",
                                transfer_direction::write_to_client, 100);
  REQUIRE_FALSE(t);
  CHECK(decline_reason_for(t.error()) == decline_reason::session_expired);
}

TEST_CASE("a failed work request fences the session and later writes never land",
          "[rdma][transfer]") {
  rig r;
  fake_faults f;
  f.fail_work_request = 3;
  r.net.set_faults(f);
  const auto object = pattern(8 * kChunk, 3);
  const auto result = r.run(rdma_get(*r.services, r.window(0, object.size()), object));
  REQUIRE_FALSE(result);
  CHECK(result.error() == rdma_errc::transport_error);
  // Pieces 1 and 2 landed; piece 3 failed, piece 4 was flushed, 5.. never posted.
  CHECK(std::memcmp(r.client.data(), object.data(), 2 * kChunk) == 0);
  CHECK(all_zero(std::span(r.client).subspan(2 * kChunk)));
  CHECK(r.net.posted() == 4);
  CHECK_FALSE(r.net.connected(r.grant.id));
  CHECK(r.pool->available() == kChunks);

  // The session is in error: the next request is refused before any post.
  r.net.set_faults({});
  const auto again = r.run(rdma_get(*r.services, r.window(0, object.size()), object));
  REQUIRE_FALSE(again);
  CHECK(again.error() == rdma_errc::session_fenced);
  CHECK(decline_reason_for(again.error()) == decline_reason::transport_error);
  CHECK(r.net.posted() == 4);
}

TEST_CASE("a failed RDMA READ fails the PUT and fences the session", "[rdma][transfer]") {
  rig r;
  fake_faults f;
  f.fail_work_request = 2;
  r.net.set_faults(f);
  std::vector<std::byte> sink;
  const auto result = r.run(rdma_put(*r.services, r.window(0, 6 * kChunk), 6 * kChunk, sink));
  REQUIRE_FALSE(result);
  CHECK(result.error() == rdma_errc::transport_error);
  CHECK(sink.size() <= kChunk);  // only the piece before the failure was handed on
  CHECK(r.sessions.find(r.grant.id, "AK").error() == rdma_errc::session_fenced);
}

TEST_CASE("missing completions time out, fence, and flush without placing data",
          "[rdma][transfer]") {
  auto limits = rig::test_limits();
  limits.completion_timeout = 50ms;
  rig r({}, limits);
  fake_faults f;
  f.hold_completions = true;
  r.net.set_faults(f);
  const auto object = pattern(2 * kChunk, 4);
  const auto result = r.run(rdma_get(*r.services, r.window(0, object.size()), object));
  REQUIRE_FALSE(result);
  CHECK(result.error() == rdma_errc::timeout);
  CHECK(all_zero(r.client));
  CHECK(r.net.outstanding() == 0);
  CHECK(r.sessions.find(r.grant.id, "AK").error() == rdma_errc::session_fenced);
  CHECK(r.pool->available() == kChunks);
}

TEST_CASE("a late completion after the timeout is awaited and never reported as success",
          "[rdma][transfer]") {
  auto limits = rig::test_limits();
  limits.completion_timeout = 30ms;
  rig r({}, limits);
  fake_faults f;
  f.hold_completions = true;
  f.late_completions = true;
  r.net.set_faults(f);
  const auto object = pattern(kChunk, 5);
  bool released = false;
  asio::steady_timer later(r.io, 150ms);
  later.async_wait([&](const boost::system::error_code&) {
    released = true;
    r.net.release_held();
  });
  const auto result = r.run(rdma_get(*r.services, r.window(0, object.size()), object));
  REQUIRE_FALSE(result);
  CHECK(result.error() == rdma_errc::timeout);
  // async_finish returned only after the late completion: staging was not
  // reused while the NIC could still read it.
  CHECK(released);
  CHECK(r.net.outstanding() == 0);
  CHECK(r.pool->available() == kChunks);
}

TEST_CASE("a queue pair error mid-transfer fails it", "[rdma][transfer]") {
  rig r;
  fake_faults f;
  f.hold_completions = true;
  r.net.set_faults(f);
  asio::steady_timer later(r.io, 20ms);
  later.async_wait([&](const boost::system::error_code&) { r.net.inject_qp_error(r.grant.id); });
  const auto object = pattern(6 * kChunk, 6);
  const auto result = r.run(rdma_get(*r.services, r.window(0, object.size()), object));
  REQUIRE_FALSE(result);
  CHECK(result.error() == rdma_errc::transport_error);
  CHECK(all_zero(r.client));
  CHECK(r.sessions.find(r.grant.id, "AK").error() == rdma_errc::session_fenced);
}

TEST_CASE("a window beyond the client's registered memory fails on the NIC, not silently",
          "[rdma][transfer]") {
  rig r;
  const auto object = pattern(2 * kChunk, 7);
  // The token claims more than the client registered (64 KiB): the piece
  // that crosses the end is a remote access error.
  const auto result =
      r.run(rdma_get(*r.services, r.window(64 * 1024 - kChunk, object.size()), object));
  REQUIRE_FALSE(result);
  CHECK(result.error() == rdma_errc::transport_error);
}

TEST_CASE("an abandoned transfer with work in flight fences its session", "[rdma][transfer]") {
  rig r;
  fake_faults f;
  f.hold_completions = true;
  r.net.set_faults(f);
  const auto object = pattern(kChunk, 8);
  r.run([&]() -> asio::awaitable<int> {
    auto t = rdma_transfer::begin(*r.services, r.window(0, kChunk), "AK",
                                  transfer_direction::write_to_client, kChunk);
    REQUIRE(t);
    auto chunk = co_await t->async_next_chunk();
    REQUIRE(chunk);
    REQUIRE(t->post_write());
    co_return 0;  // t destroyed with one write outstanding
  }());
  CHECK(r.sessions.find(r.grant.id, "AK").error() == rdma_errc::session_fenced);
  CHECK(r.net.outstanding() == 0);  // flushed by the fence
  CHECK(r.pool->available() == kChunks);
}

TEST_CASE("a refused or replayed connect gives no queue pair", "[rdma][transfer]") {
  rig r;
  const auto g = r.sessions.create("AK").value();
  fake_faults f;
  f.refuse_connect = true;
  r.net.set_faults(f);
  CHECK(r.net.connect(encode_connect_request({g.id, g.secret})).error() == rdma_errc::bad_secret);
  r.net.set_faults({});
  REQUIRE(r.net.connect(encode_connect_request({g.id, g.secret})));
  CHECK(r.net.connect(encode_connect_request({g.id, g.secret})).error() == rdma_errc::bad_secret);
}

TEST_CASE("deleting a session ends its queue pair", "[rdma][transfer]") {
  rig r;
  CHECK(r.net.connected(r.grant.id));
  CHECK(r.sessions.remove(r.grant.id, "AK"));
  CHECK_FALSE(r.net.connected(r.grant.id));
}

TEST_CASE("parallel transfers on strands of a multi-threaded io_context",
          "[rdma][transfer][concurrency]") {
  constexpr int kSessions = 6;
  asio::io_context io(2);
  session_registry sessions({});
  fake_transport net(io.get_executor(), sessions);
  sessions.set_end_observer([&](const session_id& id) { net.end_session(id); });
  auto pool = staging_pool::create(net, {kChunk, kSessions * kChunks}).value();
  transfer_services services{net, sessions, pool, rig::test_limits()};

  std::vector<std::vector<std::byte>> clients(kSessions, std::vector<std::byte>(32 * 1024));
  std::vector<std::vector<std::byte>> objects;
  std::vector<rc1_token> windows;
  for (int i = 0; i < kSessions; ++i) {
    const auto g = sessions.create("AK").value();
    REQUIRE(net.connect(encode_connect_request({g.id, g.secret})));
    const auto rkey = net.register_client_memory(clients[i]);
    objects.push_back(pattern(5 * kChunk + 17 * static_cast<std::size_t>(i), i));
    windows.push_back(
        {reinterpret_cast<std::uint64_t>(clients[i].data()), clients[i].size(), g.id, rkey});
  }
  // Each slot is written by one coroutine and read after the threads joined.
  std::vector<std::optional<result<std::uint64_t>>> results(kSessions);
  for (int i = 0; i < kSessions; ++i)
    asio::co_spawn(asio::make_strand(io), rdma_get(services, windows[i], objects[i]),
                   [&results, i](std::exception_ptr, result<std::uint64_t> r) { results[i] = r; });
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  for (int i = 0; i < kSessions; ++i) {
    INFO(i);
    REQUIRE(results[i]);
    REQUIRE(*results[i]);
    CHECK(**results[i] == objects[i].size());
    CHECK(std::memcmp(clients[i].data(), objects[i].data(), objects[i].size()) == 0);
  }
  CHECK(pool->available() == kSessions * kChunks);
}

// A GET loop that breaks the calling protocol at each step; returns what
// each misstep answered, then the final async_finish().
struct misuse_outcome {
  result<void> post_without_chunk;
  result<std::span<const std::byte>> read_on_get{rdma_errc::ok};
  result<std::span<std::byte>> second_chunk_unposted{rdma_errc::ok};
  result<std::uint64_t> finish_early{rdma_errc::ok};
};

asio::awaitable<misuse_outcome> misused_get(rig& r, std::span<const std::byte> object) {
  misuse_outcome out;
  auto t = rdma_transfer::begin(*r.services, r.window(0, object.size()), "AK",
                                transfer_direction::write_to_client, object.size());
  out.post_without_chunk = t->post_write();
  out.read_on_get = co_await t->async_next_read();
  auto chunk = co_await t->async_next_chunk();
  out.second_chunk_unposted = co_await t->async_next_chunk();
  std::memcpy(chunk->data(), object.data(), chunk->size());
  (void)t->post_write();
  out.finish_early = co_await t->async_finish();
  co_return out;
}

TEST_CASE("the GET loop's protocol is enforced", "[rdma][transfer]") {
  rig r;
  const auto object = pattern(2 * kChunk, 10);
  const auto out = r.run(misused_get(r, object));
  CHECK(out.post_without_chunk.error() == rdma_errc::invalid_argument);
  CHECK(out.read_on_get.error() == rdma_errc::invalid_argument);
  CHECK(out.second_chunk_unposted.error() == rdma_errc::invalid_argument);
  CHECK(out.finish_early.error() == rdma_errc::invalid_argument);  // a piece never posted
  CHECK(std::memcmp(r.client.data(), object.data(), kChunk) == 0);
  CHECK(r.pool->available() == kChunks);
}
