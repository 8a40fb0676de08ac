// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "http_exchange.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace kvgate::sdk::detail {
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

error transport_error(const boost::system::error_code& ec, std::string_view stage) {
  sdk_errc code = sdk_errc::connection_failed;
  if (ec == beast::error::timeout)
    code = sdk_errc::timeout;
  else if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message)
    code = sdk_errc::protocol_error;
  return make_error(code, std::string(stage) + ": " + ec.message());
}

template <class Stream>
asio::awaitable<exchange_result> exchange_on(Stream& stream, beast::tcp_stream& socket,
                                             beast::flat_buffer& buffer,
                                             const outgoing_request& out, bool head_request,
                                             body_sink& sink, std::chrono::milliseconds timeout) {
  exchange_result result;
  http::request<http::buffer_body> req{out.method, out.target, 11};
  for (const auto& h : out.headers) req.set(h.name, h.value);
  req.keep_alive(true);
  // buffer_body only reads through `data` while writing.
  req.body().data = const_cast<std::byte*>(out.body.data());
  req.body().size = out.body.size();
  req.body().more = false;
  if (out.send_content_length || !out.body.empty()) req.content_length(out.body.size());
  if (out.body.empty()) req.body().data = nullptr;

  socket.expires_after(timeout);
  auto [wec, written] = co_await http::async_write(stream, req, kTuple);
  (void)written;
  if (wec) {
    result.failure = transport_error(wec, "sending the request");
    co_return result;
  }

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  if (head_request) parser.skip(true);
  auto [hec, head_bytes] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  (void)head_bytes;
  if (hec) {
    result.failure = transport_error(hec, "reading the response head");
    co_return result;
  }
  result.got_response = true;
  auto& msg = parser.get();
  result.response.status = msg.result_int();
  result.response.headers = msg.base();

  const bool success = result.response.status >= 200 && result.response.status < 300;
  const bool into_target = success && !sink.target.empty();
  if (into_target) {
    if (auto length = parser.content_length(); length && *length > sink.target.size()) {
      result.failure =
          make_error(sdk_errc::buffer_too_small,
                     "response body of " + std::to_string(*length) + " bytes does not fit the " +
                         std::to_string(sink.target.size()) + "-byte buffer");
      co_return result;
    }
  }
  std::array<std::byte, 16384> scratch;
  while (!parser.is_done()) {
    std::byte* data = nullptr;
    std::size_t room = 0;
    if (into_target) {
      data = sink.target.data() + sink.received;
      room = sink.target.size() - sink.received;
      if (room == 0) {
        result.failure = make_error(sdk_errc::buffer_too_small, "response body exceeds the buffer");
        co_return result;
      }
    } else {
      data = scratch.data();
      room = scratch.size();
    }
    msg.body().data = data;
    msg.body().size = room;
    auto [rec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    (void)n;
    if (rec == http::error::need_buffer) rec = {};
    if (rec) {
      result.failure = transport_error(rec, "reading the response body");
      co_return result;
    }
    const std::size_t got = room - msg.body().size;
    result.response.body_bytes += got;
    if (into_target) {
      sink.received += got;
    } else {
      if (sink.text.size() + got > sink.text_limit) {
        result.failure = make_error(sdk_errc::protocol_error, "response body too large");
        co_return result;
      }
      sink.text.append(reinterpret_cast<const char*>(data), got);
    }
  }
  socket.expires_never();
  result.reusable = parser.keep_alive();
  co_return result;
}

}  // namespace

asio::awaitable<exchange_result> async_exchange(connection& conn, const outgoing_request& req,
                                                bool head_request, body_sink& sink,
                                                std::chrono::milliseconds timeout) {
  if (auto* tls = std::get_if<tls_stream>(&conn.stream))
    co_return co_await exchange_on(*tls, tls->next_layer(), conn.buffer, req, head_request, sink,
                                   timeout);
  auto& plain = std::get<plain_stream>(conn.stream);
  co_return co_await exchange_on(plain, plain, conn.buffer, req, head_request, sink, timeout);
}

}  // namespace kvgate::sdk::detail
