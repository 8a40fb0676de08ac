// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "connection_pool.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kvgate::sdk::detail {
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

connection_pool::connection_pool(asio::any_io_executor executor, asio::ssl::context* tls,
                                 bool use_tls, std::chrono::milliseconds connect_timeout,
                                 unsigned max_idle)
    : executor_(std::move(executor)),
      tls_(tls),
      use_tls_(use_tls),
      connect_timeout_(connect_timeout),
      max_idle_(max_idle) {}

asio::awaitable<result<connection_pool::acquired>> connection_pool::async_acquire(
    const request_location& where) {
  const std::string key =
      where.dial_host + ":" + std::to_string(where.dial_port) + " " + where.host_header;
  {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.empty()) {
      auto conn = std::move(it->second.back());
      it->second.pop_back();
      --idle_count_;
      co_return acquired{std::move(conn), true};
    }
  }

  auto conn = use_tls_ ? std::make_unique<connection>(executor_, *tls_)
                       : std::make_unique<connection>(executor_);
  conn->key = key;
  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(where.dial_host, std::to_string(where.dial_port), kTuple);
  if (rec)
    co_return make_error(sdk_errc::connection_failed,
                         "cannot resolve " + where.dial_host + ": " + rec.message());
  auto& socket = conn->socket();
  socket.expires_after(connect_timeout_);
  auto [cec, ep] = co_await socket.async_connect(endpoints, kTuple);
  (void)ep;
  if (cec) {
    const auto code =
        cec == beast::error::timeout ? sdk_errc::timeout : sdk_errc::connection_failed;
    co_return make_error(code, "cannot connect to " + where.dial_host + ":" +
                                   std::to_string(where.dial_port) + ": " + cec.message());
  }
  socket.socket().set_option(asio::ip::tcp::no_delay(true));
  if (auto* tls = std::get_if<tls_stream>(&conn->stream)) {
    // SNI and certificate name: the Host header's name (without port).
    std::string name = where.host_header;
    if (!name.empty() && name.front() == '[') {
      name = name.substr(1, name.find(']') - 1);
    } else if (auto colon = name.rfind(':'); colon != std::string::npos) {
      name.resize(colon);
    }
    if (!is_ip(name)) SSL_set_tlsext_host_name(tls->native_handle(), name.c_str());
    tls->set_verify_callback(asio::ssl::host_name_verification(name));
    auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, kTuple);
    if (hec) {
      const auto code = hec == beast::error::timeout ? sdk_errc::timeout : sdk_errc::tls_failed;
      co_return make_error(code, "TLS handshake with " + name + " failed: " + hec.message());
    }
  }
  socket.expires_never();
  co_return acquired{std::move(conn), false};
}

void connection_pool::release(std::unique_ptr<connection> conn) {
  std::lock_guard lock(mutex_);
  if (idle_count_ >= max_idle_) return;  // closed by its destructor
  conn->socket().expires_never();
  idle_[conn->key].push_back(std::move(conn));
  ++idle_count_;
}

void connection_pool::close_idle() {
  std::lock_guard lock(mutex_);
  idle_.clear();
  idle_count_ = 0;
}

}  // namespace kvgate::sdk::detail
