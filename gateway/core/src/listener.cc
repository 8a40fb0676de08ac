#include "listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http_session.h"

namespace kvgate::gateway {

using tcp = asio::ip::tcp;

asio::awaitable<void> async_accept_loop(asio::io_context& ioc, tcp::acceptor& acceptor,
                                        session_env& env, tls_context_store* tls) {
  constexpr auto kMinBackoff = std::chrono::milliseconds(10);
  constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);
  auto backoff = kMinBackoff;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(
        asio::any_io_executor(asio::make_strand(ioc)), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      if (ec == asio::error::no_descriptors ||
          ec == boost::system::errc::too_many_files_open_in_system ||
          ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
        spdlog::warn("accept: {}; backing off {} ms", ec.message(), backoff.count());
        timer.expires_after(backoff);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        backoff = std::min(backoff * 2, kMaxBackoff);
      } else {
        spdlog::debug("accept: {}", ec.message());
      }
      continue;
    }
    backoff = kMinBackoff;
    bool overloaded = false;
    auto ticket = env.connections.try_acquire();
    if (!ticket) {
      ticket = env.overload_connections.try_acquire();
      overloaded = true;
      if (!ticket) {
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex,
                   async_run_session(env, std::move(socket), tls ? tls->current() : nullptr,
                                     std::move(*ticket), overloaded),
                   [](const std::exception_ptr& e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& x) {
                       spdlog::error("session ended with exception: {}", x.what());
                     }
                   });
  }
}

}  // namespace kvgate::gateway
