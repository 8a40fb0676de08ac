// Keep-alive HTTP/1.1 connections (plain TCP or TLS) to one server.
//
// async_acquire() hands out an idle connection to the same dial address and
// Host, or opens a new one (resolve, connect within connect_timeout, TLS
// handshake with SNI and host-name verification). release() returns a
// connection that is still usable; at most max_idle are kept, the rest are
// closed. Thread-safe (one mutex around the idle lists); a connection is used
// by one request at a time.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "kvgate/sdk/endpoint.h"
#include "kvgate/sdk/error.h"

namespace kvgate::sdk::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

struct connection {
  explicit connection(asio::any_io_executor ex) : stream(std::in_place_type<plain_stream>, ex) {}
  connection(asio::any_io_executor ex, asio::ssl::context& tls)
      : stream(std::in_place_type<tls_stream>, ex, tls) {}

  beast::tcp_stream& socket() {
    if (auto* p = std::get_if<plain_stream>(&stream)) return *p;
    return std::get<tls_stream>(stream).next_layer();
  }

  std::variant<plain_stream, tls_stream> stream;
  beast::flat_buffer buffer;
  std::string key;        // pool key: dial host:port + Host
  unsigned requests = 0;  // requests completed on this connection
};

class connection_pool {
 public:
  connection_pool(asio::any_io_executor executor, asio::ssl::context* tls, bool use_tls,
                  std::chrono::milliseconds connect_timeout, unsigned max_idle);

  struct acquired {
    std::unique_ptr<connection> conn;
    bool reused = false;
  };
  // Errors: connection_failed (resolve/connect), timeout, tls_failed.
  asio::awaitable<result<acquired>> async_acquire(const request_location& where);
  void release(std::unique_ptr<connection> conn);
  void close_idle();

 private:
  asio::any_io_executor executor_;
  asio::ssl::context* tls_;
  bool use_tls_;
  std::chrono::milliseconds connect_timeout_;
  unsigned max_idle_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle_;
  std::size_t idle_count_ = 0;
};

}  // namespace kvgate::sdk::detail
