#include "kvgate/rdma/staging_pool.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>

#include "kvgate/rdma/fake_transport.h"
#include "kvgate/rdma/session_registry.h"
#include "result_string_maker.h"

using namespace kvgate::rdma;

TEST_CASE("staging pool hands out page-aligned chunks, partially, never waiting",
          "[rdma][staging]") {
  boost::asio::io_context io;
  session_registry sessions({});
  fake_transport net(io.get_executor(), sessions);
  auto pool = staging_pool::create(net, {8192, 3}).value();
  CHECK(pool->available() == 3);
  {
    auto a = pool->try_acquire(2).value();
    CHECK(a.size() == 2);
    auto b = pool->try_acquire(5).value();  // partial grant
    CHECK(b.size() == 1);
    CHECK(pool->try_acquire(1).error() == rdma_errc::busy);
    std::set<std::byte*> seen;
    for (auto* l : {&a, &b})
      for (std::size_t i = 0; i < l->size(); ++i) {
        CHECK(reinterpret_cast<std::uintptr_t>(l->chunk(i).data()) % 4096 == 0);
        CHECK(l->chunk(i).size() == 8192);
        CHECK(seen.insert(l->chunk(i).data()).second);
      }
    CHECK(&a.registration() == &pool->registration());
  }
  CHECK(pool->available() == 3);
}

TEST_CASE("staging pool refuses chunk sizes the transport cannot use", "[rdma][staging]") {
  boost::asio::io_context io;
  session_registry sessions({});
  fake_transport net(io.get_executor(), sessions);
  CHECK(staging_pool::create(net, {1000, 1}).error() == rdma_errc::invalid_argument);
  CHECK(staging_pool::create(net, {2 << 20, 1}).error() == rdma_errc::invalid_argument);
  CHECK(staging_pool::create(net, {4096, 0}).error() == rdma_errc::invalid_argument);
  auto pool = staging_pool::create(net, {4096, 1}).value();
  CHECK(pool->try_acquire(0).error() == rdma_errc::invalid_argument);
}
