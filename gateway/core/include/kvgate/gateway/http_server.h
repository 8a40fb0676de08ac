// The HTTP/1.1 server: listeners, TLS, connections, limits, shutdown.
//
// Construction binds every listen address (so bind errors surface at start
// and port 0 resolves to a real port); run() then serves on io_threads
// threads until SIGTERM/SIGINT (or stop()), drains in-flight requests up to
// shutdown_timeout and returns. SIGHUP reloads the TLS certificate and key
// for new connections, then runs server_hooks::reload. GET /metrics renders
// metrics() (Prometheus text), GET /health/live and /health/ready answer
// probes; all three are unauthenticated and served before the handler.
//
// Lifetime: the server owns the io_context, the blocking thread pool and all
// sessions; the handler and hooks must outlive run(). Thread-safety: stop()
// may be called from any thread; everything else from the owning thread.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>
#include <vector>

#include "kvgate/gateway/config.h"
#include "kvgate/gateway/metrics.h"
#include "kvgate/gateway/request_handler.h"
#include "kvgate/gateway/server_hooks.h"

namespace kvgate::gateway {

class http_server {
 public:
  // Binds all listeners; fails with a message (address in use, bad TLS files).
  [[nodiscard]] static boost::system::result<std::unique_ptr<http_server>, std::string> create(
      const server_config& config);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // The pool async_run_blocking() should use for storage calls.
  asio::thread_pool& blocking_pool() noexcept;
  // The URLs actually bound ("http://127.0.0.1:9000", "https://..."), in
  // configuration order.
  std::vector<std::string> urls() const;
  // The registry behind GET /metrics. Register families and collectors before
  // run(); they must outlive the server.
  metrics::registry& metrics() noexcept;

  // Serves until a shutdown signal or stop(); returns after the drain.
  // `hooks` customise the core's own answers (errors, readiness).
  // `on_listening` runs once every acceptor listens (used to print the ready line).
  void run(request_handler& handler, server_hooks hooks, const std::function<void()>& on_listening);
  // Starts a graceful shutdown. Thread-safe.
  void stop();

 private:
  struct state;
  explicit http_server(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

}  // namespace kvgate::gateway
