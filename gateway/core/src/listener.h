// Accept loop for one listening socket.
//
// Runs on the server's control strand (which also owns the acceptor, so
// shutdown can close it safely). Each accepted socket gets its own strand and
// a session coroutine. On EMFILE/ENFILE the loop backs off (doubling from
// 10 ms to 1 s) instead of spinning. Ends when the acceptor is closed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "session_env.h"
#include "tls.h"

namespace kvgate::gateway {

// `tls` null means plaintext.
asio::awaitable<void> async_accept_loop(asio::io_context& ioc, asio::ip::tcp::acceptor& acceptor,
                                        session_env& env, tls_context_store* tls);

}  // namespace kvgate::gateway
