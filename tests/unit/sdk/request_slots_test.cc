// The per-server cap on requests in flight (sdk/src/request_slots.h): never
// more than the limit hold a slot of one server at once, waiters are woken
// by releases from any io thread, servers do not share slots, 0 is no cap,
// and a waiter still waiting when the client shuts down gets shut_down.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "request_slots.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using kvgate::sdk::sdk_errc;
using kvgate::sdk::detail::request_slots;

namespace {

struct tally {
  std::atomic<int> holding{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
};

// Takes a slot of `server`, holds it for a moment, releases it.
asio::awaitable<void> hold_once(request_slots& slots, std::string server, tally& t) {
  auto s = co_await slots.async_acquire(server);
  if (!s) {
    ++t.failed;
    co_return;
  }
  const int now = ++t.holding;
  int seen = t.most.load();
  while (now > seen && !t.most.compare_exchange_weak(seen, now)) {
  }
  asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(2));
  co_await pause.async_wait(asio::use_awaitable);
  --t.holding;
  s->release();
  ++t.done;
}

void run_on_threads(asio::io_context& io, unsigned threads) {
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  for (auto& th : pool) th.join();
}

}  // namespace

TEST_CASE("request slots: at most the limit in flight per server", "[sdk][concurrency]") {
  asio::io_context io(4);
  request_slots slots(io.get_executor(), 3);
  tally a, b;
  for (int i = 0; i < 40; ++i) {
    asio::co_spawn(io, hold_once(slots, "127.0.0.1:9001", a), asio::detached);
    asio::co_spawn(io, hold_once(slots, "127.0.0.1:9002", b), asio::detached);
  }
  run_on_threads(io, 4);
  CHECK(a.done == 40);
  CHECK(b.done == 40);
  CHECK(a.most <= 3);
  CHECK(b.most <= 3);
  CHECK(a.most == 3);  // the cap is reached, not undershot
  CHECK(a.failed + b.failed == 0);
}

TEST_CASE("request slots: a limit of 0 never waits", "[sdk][concurrency]") {
  asio::io_context io(2);
  request_slots slots(io.get_executor(), 0);
  tally t;
  for (int i = 0; i < 30; ++i)
    asio::co_spawn(io, hold_once(slots, "127.0.0.1:9001", t), asio::detached);
  run_on_threads(io, 2);
  CHECK(t.done == 30);
  CHECK(t.most == 30);
}

TEST_CASE("request slots: a slot moved or released early is given back once", "[sdk]") {
  asio::io_context io;
  request_slots slots(io.get_executor(), 1);
  std::optional<bool> second_got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto first = co_await slots.async_acquire("h:1");
        REQUIRE(first.has_value());
        request_slots::slot moved = std::move(*first);
        moved.release();
        moved.release();  // no second give-back
        auto again = co_await slots.async_acquire("h:1");
        REQUIRE(again.has_value());
        // The only slot is held: a third acquire waits until `again` goes.
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto s = co_await slots.async_acquire("h:1");
              second_got = s.has_value();
            },
            asio::detached);
        asio::steady_timer pause(io, std::chrono::milliseconds(5));
        co_await pause.async_wait(asio::use_awaitable);
        CHECK_FALSE(second_got.has_value());
      },
      asio::detached);
  io.run();
  REQUIRE(second_got.has_value());
  CHECK(*second_got);
}
