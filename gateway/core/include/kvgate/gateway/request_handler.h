// The contract between the HTTP core and the S3 layer.
//
// For every request the core parses the header section, builds a
// request_context and calls request_handler::async_handle() on the
// connection's strand. The handler streams the request body through
// async_read_some_body() into its own bounded buffers and produces exactly one
// response: async_write_head(), any number of async_write_body(), then
// async_finish(). When the handler returns the core drains unread body bytes
// (bounded by body_drain_limit_bytes) so keep-alive survives, or closes.
//
// Lifetime: a request_context lives until async_handle() returns; references
// to it must not escape. Thread affinity: all request_context calls must be
// made from the handler's coroutine (the connection strand). Blocking work
// (storage engine calls) goes through async_run_blocking().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace kvgate::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;

template <class T>
using result = boost::system::result<T, std::error_code>;

class request_context {
 public:
  request_context(const request_context&) = delete;
  request_context& operator=(const request_context&) = delete;
  virtual ~request_context() = default;

  // Method, target, version and header fields as received.
  const http::request_header<>& header() const noexcept { return header_; }
  // The x-amz-request-id of this request (also set on the response).
  std::string_view request_id() const noexcept { return request_id_; }
  const asio::ip::tcp::endpoint& remote() const noexcept { return remote_; }
  bool tls() const noexcept { return tls_; }
  // The operation name the handler recognised ("GetObject", ...), counted by
  // operation in /metrics. `name` must outlive the request (a string literal).
  void set_operation(std::string_view name) noexcept { operation_ = name; }
  std::string_view operation() const noexcept { return operation_; }

  // Declared Content-Length; empty for chunked bodies.
  virtual std::optional<std::uint64_t> content_length() const = 0;
  // True once the whole body has been read (immediately for bodiless requests).
  virtual bool body_done() const = 0;
  // Reads up to buf.size() body bytes (Content-Length or chunked, de-chunked).
  // Returns 0 at the end of the body. Sends "100 Continue" on the first call
  // when the client asked for it. Errors: errc::body_incomplete when the peer
  // closes early, errc::body_timeout on a stall, errc::body_malformed.
  [[nodiscard]] virtual asio::awaitable<result<std::size_t>> async_read_some_body(
      std::span<std::byte> buf) = 0;

  // Sends the status line and headers. The core adds Server, Date,
  // x-amz-request-id and Connection. With a content_length the body must be
  // exactly that long; without one the body is sent chunked. For HEAD
  // requests Content-Length is sent and body bytes are discarded.
  [[nodiscard]] virtual asio::awaitable<result<void>> async_write_head(
      http::response_header<> head, std::optional<std::uint64_t> content_length) = 0;
  // Sends body bytes without copying them. `data` must stay valid until the
  // returned awaitable completes.
  [[nodiscard]] virtual asio::awaitable<result<void>> async_write_body(
      std::span<const std::byte> data) = 0;
  // Completes the response (final chunk for chunked bodies).
  [[nodiscard]] virtual asio::awaitable<result<void>> async_finish() = 0;
  // Closes the connection after this response.
  virtual void set_close() = 0;
  virtual bool head_written() const = 0;
  virtual bool finished() const = 0;
  // The status of the response head sent so far (0 before it is written).
  virtual unsigned status() const = 0;

 protected:
  request_context(const http::request_header<>& header, std::string request_id,
                  asio::ip::tcp::endpoint remote, bool tls)
      : header_(header), request_id_(std::move(request_id)), remote_(remote), tls_(tls) {}

 private:
  const http::request_header<>& header_;
  std::string request_id_;
  asio::ip::tcp::endpoint remote_;
  bool tls_;
  std::string_view operation_;
};

// Implemented by the S3 layer. One instance serves all connections
// concurrently, so it must be thread-safe. Exceptions escaping async_handle()
// become a 500 (if no head was sent) or a closed connection.
class request_handler {
 public:
  virtual ~request_handler() = default;
  virtual asio::awaitable<void> async_handle(request_context& ctx) = 0;
};

// Runs fn() on `pool` and resumes the calling coroutine on its own executor
// (the connection strand) with fn's return value. Exceptions thrown by fn are
// rethrown in the caller. Use it for every blocking call: network threads
// never block on disk.
template <class F>
asio::awaitable<std::invoke_result_t<F&>> async_run_blocking(asio::thread_pool& pool, F fn) {
  using value_type = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<value_type>) {
    co_await asio::co_spawn(
        pool,
        [&fn]() -> asio::awaitable<void> {
          fn();
          co_return;
        },
        asio::use_awaitable);
  } else {
    // optional<> because co_spawn needs a default-constructible value type.
    std::optional<value_type> out = co_await asio::co_spawn(
        pool,
        [&fn]() -> asio::awaitable<std::optional<value_type>> {
          co_return std::optional<value_type>(fn());
        },
        asio::use_awaitable);
    co_return std::move(*out);
  }
}

}  // namespace kvgate::gateway
