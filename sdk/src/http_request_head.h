// The bytes of an HTTP/1.1 request head (request line, the request's headers,
// Content-Length, blank line), rendered once so that the head and the
// caller's body span leave in one gathered write (http_exchange.cc).
#pragma once

#include <string>

#include "http_exchange.h"

namespace kvgate::sdk::detail {

// Errors: invalid_argument when a header name or value, or the target,
// holds CR, LF or NUL (they would split the head).
[[nodiscard]] result<std::string> render_request_head(const outgoing_request& req);

}  // namespace kvgate::sdk::detail
