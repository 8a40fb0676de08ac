// run_workers(n, make): runs n copies of the coroutine make() concurrently on
// the current executor and resumes when all have finished. The executor must
// be a strand (client.cc spawns every operation on one): on a bare
// multi-threaded io_context a worker could finish, and resume the caller,
// while the caller is still starting the others. Workers share
// state through the caller's frame (which outlives them) and must not throw.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

namespace kvgate::sdk::detail {

template <class MakeWorker>
boost::asio::awaitable<void> run_workers(std::size_t count, MakeWorker make) {
  namespace asio = boost::asio;
  if (count == 0) co_return;
  auto executor = co_await asio::this_coro::executor;
  using op_type = decltype(asio::co_spawn(executor, make(), asio::deferred));
  std::vector<op_type> ops;
  ops.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    ops.push_back(asio::co_spawn(executor, make(), asio::deferred));
  co_await asio::experimental::make_parallel_group(std::move(ops))
      .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
}

}  // namespace kvgate::sdk::detail
