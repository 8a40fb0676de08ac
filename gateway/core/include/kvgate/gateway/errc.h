// Transport-level conditions a request handler can see from request_context.
#pragma once

#include <system_error>

namespace kvgate::gateway {

enum class errc {
  ok = 0,
  body_incomplete = 1,  // the peer closed or stalled before the declared body ended
  body_timeout,         // no body progress within body_stall_timeout
  body_malformed,       // chunked framing or Content-Length was invalid
  head_already_sent,    // async_write_head called twice
  head_not_sent,        // body written before the head
  body_too_long,        // more body bytes than the declared Content-Length
  body_too_short,       // async_finish before the declared Content-Length was written
  connection_lost,      // writing the response failed; the connection is closed
  invalid_argument,
};

const std::error_category& gateway_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), gateway_category()};
}

}  // namespace kvgate::gateway

template <>
struct std::is_error_code_enum<kvgate::gateway::errc> : std::true_type {};
