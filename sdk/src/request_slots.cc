// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "request_slots.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kvgate::sdk::detail {

request_slots::request_slots(asio::any_io_executor executor, unsigned limit)
    : executor_(std::move(executor)), limit_(limit) {}

request_slots::channel& request_slots::slots_of(const std::string& server) {
  std::lock_guard lock(mutex_);
  auto& taken = servers_[server];
  if (!taken) taken = std::make_unique<channel>(executor_, limit_);
  return *taken;
}

asio::awaitable<result<request_slots::slot>> request_slots::async_acquire(
    const std::string& server) {
  if (limit_ == 0) co_return slot();
  channel& taken = slots_of(server);
  // A send completes at once while the buffer has room, and otherwise when
  // a release (a receive) makes room.
  auto [ec] =
      co_await taken.async_send(boost::system::error_code{}, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return make_error(sdk_errc::shut_down, "the client is shutting down");
  co_return slot(&taken);
}

}  // namespace kvgate::sdk::detail
