#include "kvgate/rdma/staging_pool.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <vector>

#include "kvgate/rdma/fake_transport.h"
#include "kvgate/rdma/session_registry.h"
#include "result_string_maker.h"

using namespace kvgate::rdma;

namespace {
session_id owner(int n) {
  session_id id;
  id.bytes[0] = static_cast<std::byte>(n);
  return id;
}
}  // namespace

TEST_CASE("staging pool hands out page-aligned chunks, partially, never waiting",
          "[rdma][staging]") {
  boost::asio::io_context io;
  session_registry sessions({});
  fake_transport net(io.get_executor(), sessions);
  auto pool = staging_pool::create(net, {8192, 3}).value();
  CHECK(pool->available() == 3);
  {
    auto a = pool->try_acquire(2, owner(1)).value();
    CHECK(a.size() == 2);
    auto b = pool->try_acquire(5, owner(1)).value();  // partial grant
    CHECK(b.size() == 1);
    CHECK(pool->try_acquire(1, owner(2)).error() == rdma_errc::busy);
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
  CHECK(pool->try_acquire(0, owner(1)).error() == rdma_errc::invalid_argument);
}

TEST_CASE("staging pool shares chunks fairly across sessions", "[rdma][staging]") {
  boost::asio::io_context io;
  session_registry sessions({});
  fake_transport net(io.get_executor(), sessions);
  auto pool = staging_pool::create(net, {4096, 8}).value();
  std::vector<staging_lease> first;
  // Alone, a session may use the whole pool.
  for (int i = 0; i < 4; ++i) first.push_back(pool->try_acquire(2, owner(1)).value());
  CHECK(pool->held_by(owner(1)) == 8);
  CHECK(pool->try_acquire(1, owner(1)).error() == rdma_errc::busy);
  CHECK(pool->try_acquire(1, owner(2)).error() == rdma_errc::busy);  // nothing free
  // Two leases end: the second session gets in with up to its share of
  // 8 / 2 = 4 chunks; both sessions now hold their share and are declined.
  first.pop_back();
  first.pop_back();
  auto second = pool->try_acquire(8, owner(2)).value();
  CHECK(second.size() == 4);
  CHECK(pool->held_by(owner(2)) == 4);
  CHECK(pool->try_acquire(1, owner(1)).error() == rdma_errc::busy);
  CHECK(pool->try_acquire(1, owner(2)).error() == rdma_errc::busy);
  // A third session: shares are 8 / 3 = 2, nothing free.
  CHECK(pool->try_acquire(1, owner(3)).error() == rdma_errc::busy);
  first.clear();
  CHECK(pool->held_by(owner(1)) == 0);
  auto third = pool->try_acquire(8, owner(3)).value();
  CHECK(third.size() == 4);  // two sessions hold chunks now: share 4
  // Moving a lease keeps its owner's count right.
  staging_lease moved = std::move(second);
  CHECK(pool->held_by(owner(2)) == 4);
  moved = staging_lease{};
  CHECK(pool->held_by(owner(2)) == 0);
  CHECK(pool->available() == 4);
}
