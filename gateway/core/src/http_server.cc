#include "kvgate/gateway/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <thread>

#include "listener.h"
#include "session_env.h"
#include "tls.h"

namespace kvgate::gateway {

using tcp = asio::ip::tcp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kShutdownPoll = std::chrono::milliseconds(20);
constexpr auto kForceCloseGrace = std::chrono::seconds(2);
}  // namespace

// Everything the server owns. Acceptors, signals and shutdown run on
// `control`, a strand of their own, so closing acceptors is race-free.
struct http_server::state {
  explicit state(const server_config& c)
      : env(c),
        ioc(static_cast<int>(c.io_threads)),
        control(asio::make_strand(ioc)),
        pool(c.blocking_threads),
        signals(control, SIGTERM, SIGINT, SIGHUP) {
    env.blocking = &pool;
  }

  session_env env;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> control;
  asio::thread_pool pool;
  asio::signal_set signals;
  std::vector<tcp::acceptor> plain;
  std::vector<tcp::acceptor> secure;
  std::unique_ptr<tls_context_store> tls;
  std::vector<std::string> urls;
  bool shutdown_started = false;

  boost::system::result<void, std::string> bind(const listen_address& a, bool is_tls) {
    boost::system::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(a.host, std::to_string(a.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      return fmt::format("cannot resolve listen address {}: {}", to_string(a), ec.message());
    }
    tcp::endpoint ep = results.begin()->endpoint();
    tcp::acceptor acceptor(control);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fmt::format("cannot listen on {}: {}", to_string(a), ec.message());
    }
    auto bound = acceptor.local_endpoint(ec);
    urls.push_back(fmt::format("{}://{}", is_tls ? "https" : "http",
                               to_string(listen_address{a.host, bound.port()})));
    (is_tls ? secure : plain).push_back(std::move(acceptor));
    return {};
  }

  asio::awaitable<void> async_watch_signals() {
    for (;;) {
      auto [ec, sig] = co_await signals.async_wait(kTuple);
      if (ec) co_return;
      if (sig == SIGHUP) {
        if (tls) {
          if (auto r = tls->reload(); r) {
            spdlog::info("SIGHUP: TLS certificate and key reloaded");
          } else {
            spdlog::error("SIGHUP: TLS reload failed, keeping the old certificate: {}", r.error());
          }
        }
        // Credentials and log level: file reads, so on the blocking pool.
        if (env.hooks.reload) asio::post(pool, env.hooks.reload);
        continue;
      }
      spdlog::info("received signal {}, shutting down", sig);
      co_await async_shutdown();
      co_return;
    }
  }

  // Stops accepting, lets in-flight requests finish until shutdown_timeout,
  // closes idle connections, then force-closes what is left.
  asio::awaitable<void> async_shutdown() {
    if (shutdown_started) co_return;
    shutdown_started = true;
    env.stopping.store(true);
    boost::system::error_code ignored;
    for (auto& a : plain) a.close(ignored);
    for (auto& a : secure) a.close(ignored);
    signals.cancel(ignored);
    env.registry.for_each([](session_control& s) { s.request_shutdown(); });
    asio::steady_timer timer(control);
    const auto deadline = std::chrono::steady_clock::now() + env.config.shutdown_timeout;
    while (env.registry.size() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(kShutdownPoll);
      co_await timer.async_wait(kTuple);
      env.registry.for_each([](session_control& s) { s.request_shutdown(); });
    }
    if (env.registry.size() > 0) {
      spdlog::warn("shutdown timeout: closing {} connections", env.registry.size());
      env.registry.for_each([](session_control& s) { s.force_close(); });
      const auto grace = std::chrono::steady_clock::now() + kForceCloseGrace;
      while (env.registry.size() > 0 && std::chrono::steady_clock::now() < grace) {
        timer.expires_after(kShutdownPoll);
        co_await timer.async_wait(kTuple);
      }
    }
    spdlog::info("shutdown complete");
  }
};

http_server::http_server(std::unique_ptr<state> s) : state_(std::move(s)) {}

http_server::~http_server() {
  if (state_) state_->pool.join();
}

boost::system::result<std::unique_ptr<http_server>, std::string> http_server::create(
    const server_config& config) {
  auto s = std::make_unique<state>(config);
  if (!config.tls_listen.empty()) {
    auto ctx = make_tls_context(config.tls_cert_file, config.tls_key_file);
    if (!ctx) return ctx.error();
    s->tls = std::make_unique<tls_context_store>(config.tls_cert_file, config.tls_key_file,
                                                 std::move(*ctx));
  }
  for (const auto& a : config.listen) {
    if (auto r = s->bind(a, false); !r) return r.error();
  }
  for (const auto& a : config.tls_listen) {
    if (auto r = s->bind(a, true); !r) return r.error();
  }
  return std::unique_ptr<http_server>(new http_server(std::move(s)));
}

asio::thread_pool& http_server::blocking_pool() noexcept {
  return state_->pool;
}

std::vector<std::string> http_server::urls() const {
  return state_->urls;
}

metrics::registry& http_server::metrics() noexcept {
  return state_->env.metrics;
}

void http_server::run(request_handler& handler, server_hooks hooks,
                      const std::function<void()>& on_listening) {
  auto& s = *state_;
  s.env.handler = &handler;
  if (hooks.render_error) s.env.hooks.render_error = std::move(hooks.render_error);
  if (hooks.ready) s.env.hooks.ready = std::move(hooks.ready);
  if (hooks.reload) s.env.hooks.reload = std::move(hooks.reload);
  if (hooks.cluster_map) s.env.hooks.cluster_map = std::move(hooks.cluster_map);
  for (auto& a : s.plain) {
    asio::co_spawn(s.control, async_accept_loop(s.ioc, a, s.env, nullptr), asio::detached);
  }
  for (auto& a : s.secure) {
    asio::co_spawn(s.control, async_accept_loop(s.ioc, a, s.env, s.tls.get()), asio::detached);
  }
  asio::co_spawn(s.control, s.async_watch_signals(), asio::detached);
  if (on_listening) on_listening();
  std::vector<std::jthread> threads;
  for (std::uint32_t i = 1; i < s.env.config.io_threads; ++i) {
    threads.emplace_back([&s] { s.ioc.run(); });
  }
  s.ioc.run();
  threads.clear();
}

void http_server::stop() {
  asio::co_spawn(state_->control, state_->async_shutdown(), asio::detached);
}

}  // namespace kvgate::gateway
