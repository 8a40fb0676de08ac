// One HTTP request/response on a pooled connection: writes the head and the
// caller's body span in one gathered write, reads the response head, then the
// body into a sink: the caller's span (success bodies of GET: the bytes the
// head read brought along are moved there, the rest is read from the socket
// straight into the span), or a bounded string (XML and error bodies). No
// retries here (request_engine.cc); no copies of object bytes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>

#include "connection_pool.h"
#include "kvgate/protocol/sigv4_signer.h"

namespace kvgate::sdk::detail {

namespace http = beast::http;

struct outgoing_request {
  http::verb method = http::verb::get;
  std::string target;                           // path[?query], encoded
  std::vector<protocol::owned_header> headers;  // signed headers + authorization
  std::span<const std::byte> body;
  bool send_content_length = false;
};

// Where a 2xx body goes. Non-2xx bodies always go to `text` (bounded).
struct body_sink {
  std::span<std::byte> target;  // empty: success bodies go to `text` too
  std::string text;
  std::size_t text_limit = 8u << 20;
  std::uint64_t received = 0;  // bytes written into target
  // CRC32C of the bytes written into target, updated as they arrive (while
  // they are still in cache) when `crc32c` is set; reset by each exchange.
  bool crc32c = false;
  std::uint32_t crc32c_value = 0;
};

// The x-amz-checksum-crc32c spelling of a CRC32C value (base64, big-endian).
std::string crc32c_header_value(std::uint32_t crc);

struct incoming_response {
  unsigned status = 0;
  http::fields headers;
  std::uint64_t body_bytes = 0;
};

struct exchange_result {
  // Transport or framing failure (no usable response): connection_failed,
  // timeout, tls_failed, protocol_error, buffer_too_small.
  std::optional<error> failure;
  incoming_response response;
  bool reusable = false;      // the connection may go back to the pool
  bool got_response = false;  // a response head arrived
};

asio::awaitable<exchange_result> async_exchange(connection& conn, const outgoing_request& req,
                                                bool head_request, body_sink& sink,
                                                std::chrono::milliseconds timeout);

}  // namespace kvgate::sdk::detail
