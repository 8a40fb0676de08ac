#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <thread>

#include "kvgate/gateway/request_handler.h"

using namespace kvgate::gateway;

TEST_CASE("async_run_blocking runs on the pool and resumes on the caller's strand") {
  asio::io_context ioc;
  asio::thread_pool pool(2);
  auto strand = asio::make_strand(ioc);
  std::thread::id caller;
  std::thread::id worker;
  bool resumed_on_strand = false;
  // A move-only value type without a default constructor.
  std::unique_ptr<int> value;
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        caller = std::this_thread::get_id();
        value = co_await async_run_blocking(pool, [&] {
          worker = std::this_thread::get_id();
          return std::make_unique<int>(42);
        });
        resumed_on_strand = strand.running_in_this_thread();
      },
      asio::detached);
  ioc.run();
  pool.join();
  REQUIRE(value);
  CHECK(*value == 42);
  CHECK(worker != caller);
  CHECK(resumed_on_strand);
}

TEST_CASE("async_run_blocking rethrows the blocking function's exception") {
  asio::io_context ioc;
  asio::thread_pool pool(1);
  bool caught = false;
  bool void_ran = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await async_run_blocking(pool, [&] { void_ran = true; });
        try {
          co_await async_run_blocking(pool, []() -> int { throw std::runtime_error("disk"); });
        } catch (const std::runtime_error&) {
          caught = true;
        }
      },
      asio::detached);
  ioc.run();
  pool.join();
  CHECK(void_ran);
  CHECK(caught);
}
