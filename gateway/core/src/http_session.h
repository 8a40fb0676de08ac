// One HTTP/1.1 connection: keep-alive, pipelining (strictly in order),
// timeouts, 100-continue, body streaming and draining.
//
// A session is a coroutine on its own strand (the socket's executor). It
// reads a header section, hands a request_context to the handler, drains what
// the handler left unread and loops. All timers and socket operations run on
// that strand. The session registers itself in session_env::registry so a
// shutdown can close it when idle.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>

#include "kvgate/gateway/admission.h"
#include "session_env.h"

namespace kvgate::gateway {

// Serves one accepted connection until it closes. `tls` null means plaintext.
// Without a connection ticket (`overloaded`), the first request is answered
// with 503 SlowDown and the connection closed.
asio::awaitable<void> async_run_session(session_env& env, asio::ip::tcp::socket socket,
                                        std::shared_ptr<asio::ssl::context> tls,
                                        admission_ticket ticket, bool overloaded);

// The RFC 7231 Date header value for `when`.
std::string http_date(std::chrono::system_clock::time_point when);

}  // namespace kvgate::gateway
