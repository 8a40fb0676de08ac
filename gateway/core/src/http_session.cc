// Connection coroutine. The only translation unit that instantiates Beast's
// HTTP parser/serializer, once for plaintext and once for TLS streams.
#include "http_session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>

#include "kvgate/gateway/errc.h"

namespace kvgate::gateway {
namespace {

namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kDrainChunk = 16 * 1024;
constexpr auto kCloseLinger = std::chrono::seconds(1);
constexpr std::size_t kCloseLingerBytes = 256 * 1024;

bool is_bodiless_status(unsigned status) {
  return status < 200 || status == 204 || status == 304;
}

// Cancels the socket's pending operations when a body read makes no progress
// for `timeout`, so the S3 layer can still answer 400 RequestTimeout (as AWS
// does) before the connection is closed. One timer per body fill, re-armed
// only when it expires with progress made, not on every read. Its handler
// runs on the connection strand like the reading coroutine; the state (and
// the timer) is shared with queued handlers, and `armed` is cleared as soon
// as the fill ends, so a completion already queued by then touches nothing
// (the socket may serve a later operation, or be gone).
class stall_watch {
 public:
  template <class Executor>
  stall_watch(const Executor& ex, tcp::socket& socket, std::chrono::milliseconds timeout)
      : state_(std::make_shared<state>(ex, socket, timeout)) {
    arm(state_);
  }
  stall_watch(const stall_watch&) = delete;
  stall_watch& operator=(const stall_watch&) = delete;
  ~stall_watch() {
    state_->armed = false;
    state_->timer.cancel();
  }

  void progress() noexcept { ++state_->progress; }
  bool fired() const noexcept { return state_->fired; }

 private:
  struct state {
    template <class Executor>
    state(const Executor& ex, tcp::socket& s, std::chrono::milliseconds t)
        : timer(ex), socket(s), timeout(t) {}
    asio::steady_timer timer;
    tcp::socket& socket;
    std::chrono::milliseconds timeout;
    bool armed = true;
    bool fired = false;
    std::uint64_t progress = 0;
    std::uint64_t seen = 0;
  };

  static void arm(const std::shared_ptr<state>& st) {
    st->timer.expires_after(st->timeout);
    st->timer.async_wait([st](const boost::system::error_code& e) {
      if (e || !st->armed) return;
      if (st->progress != st->seen) {
        st->seen = st->progress;
        arm(st);
        return;
      }
      st->fired = true;
      boost::system::error_code ignored;
      st->socket.cancel(ignored);
    });
  }

  std::shared_ptr<state> state_;
};

template <class Stream>
class http_session;

// request_context bound to one parsed request of an http_session.
template <class Stream>
class session_request_context final : public request_context {
 public:
  session_request_context(http_session<Stream>& s, std::string id)
      : request_context(s.parser_->get().base(), std::move(id), s.remote_, s.is_tls()), s_(s) {
    const auto& req = s.parser_->get();
    is_head_ = req.method() == http::verb::head;
    expect_continue_ =
        req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue");
  }

  std::optional<std::uint64_t> content_length() const override {
    auto n = s_.parser_->content_length();
    if (n) return *n;
    return std::nullopt;
  }
  bool body_done() const override { return s_.body_done(); }

  asio::awaitable<result<std::size_t>> async_read_some_body(std::span<std::byte> buf) override {
    if (buf.empty()) co_return std::error_code(errc::invalid_argument);
    if (body_error_) co_return body_error_;
    // 100 Continue goes out even for an empty body (Content-Length: 0): the
    // RFC lets a server omit it there, but botocore, having waited for it,
    // takes the final response in its place and keeps that status line for
    // the connection's next response, which it then misreads and times out on.
    if (expect_continue_ && !continue_sent_ && !head_written_) {
      continue_sent_ = true;
      http::response<http::empty_body> cont{http::status::continue_, 11};
      s_.lowest().expires_after(s_.env_.config.body_stall_timeout);
      auto [ec, n] = co_await http::async_write(s_.stream_, cont, kTuple);
      if (ec) {
        s_.close_ = true;
        body_error_ = errc::connection_lost;
        co_return body_error_;
      }
    }
    if (s_.body_done()) co_return std::size_t{0};
    s_.lowest().expires_never();
    stall_watch stall(s_.stream_.get_executor(), s_.lowest().socket(),
                      s_.env_.config.body_stall_timeout);
    auto [ec, got] = co_await s_.async_read_body(buf, &stall);
    if (ec && stall.fired()) ec = beast::error::timeout;
    if (ec) {
      s_.close_ = true;
      if (ec == beast::error::timeout) {
        body_error_ = errc::body_timeout;
      } else if (ec == http::error::partial_message || ec == http::error::end_of_stream ||
                 ec == asio::error::eof || ec == asio::error::connection_reset ||
                 ec == asio::error::operation_aborted) {
        body_error_ = errc::body_incomplete;
      } else {
        body_error_ = errc::body_malformed;
      }
      co_return body_error_;
    }
    bytes_in_ += got;
    co_return got;
  }

  asio::awaitable<result<void>> async_write_head(
      http::response_header<> head, std::optional<std::uint64_t> content_length) override {
    if (head_written_) co_return std::error_code(errc::head_already_sent);
    head_written_ = true;
    res_.emplace();
    res_->base() = std::move(head);
    res_->version(11);
    s_.decorate(*res_, request_id());
    bodiless_ = is_head_ || is_bodiless_status(res_->result_int());
    declared_ = content_length;
    if (content_length) {
      if (!is_bodiless_status(res_->result_int())) res_->content_length(*content_length);
    } else if (!bodiless_) {
      res_->chunked(true);
    }
    // Decide now whether the connection can be reused, so the head says so.
    if (!s_.body_done()) {
      auto remaining = s_.body_remaining();
      if ((expect_continue_ && !continue_sent_) ||
          (remaining && *remaining > s_.env_.config.body_drain_limit_bytes)) {
        s_.close_ = true;
      }
    }
    res_->keep_alive(s_.keep_alive());
    sr_.emplace(*res_);
    sr_->split(true);
    s_.lowest().expires_after(s_.env_.config.body_stall_timeout);
    auto [ec, n] = co_await http::async_write_header(s_.stream_, *sr_, kTuple);
    if (ec) co_return lost();
    co_return result<void>{};
  }

  asio::awaitable<result<void>> async_write_body(std::span<const std::byte> data) override {
    if (!head_written_) co_return std::error_code(errc::head_not_sent);
    if (finished_) co_return std::error_code(errc::invalid_argument);
    if (declared_ && bytes_out_ + data.size() > *declared_) {
      co_return std::error_code(errc::body_too_long);
    }
    if (bodiless_ || data.empty()) {
      bytes_out_ += data.size();
      co_return result<void>{};
    }
    auto& body = res_->body();
    body.data = const_cast<std::byte*>(data.data());  // buffer_body only reads it
    body.size = data.size();
    body.more = true;
    s_.lowest().expires_after(s_.env_.config.body_stall_timeout);
    auto [ec, n] = co_await http::async_write(s_.stream_, *sr_, kTuple);
    body.data = nullptr;
    body.size = 0;
    if (ec && ec != http::error::need_buffer) co_return lost();
    bytes_out_ += data.size();
    co_return result<void>{};
  }

  asio::awaitable<result<void>> async_finish() override {
    if (!head_written_) co_return std::error_code(errc::head_not_sent);
    if (finished_) co_return result<void>{};
    finished_ = true;
    if (declared_ && bytes_out_ < *declared_ && !bodiless_) {
      // The client cannot tell a short body from a slow one: close.
      s_.close_ = true;
      co_return std::error_code(errc::body_too_short);
    }
    auto& body = res_->body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    if (!sr_->is_done()) {
      s_.lowest().expires_after(s_.env_.config.body_stall_timeout);
      auto [ec, n] = co_await http::async_write(s_.stream_, *sr_, kTuple);
      if (ec) co_return lost();
    }
    co_return result<void>{};
  }

  void set_close() override { s_.close_ = true; }
  bool head_written() const override { return head_written_; }
  bool finished() const override { return finished_; }

  unsigned status() const override { return res_ ? res_->result_int() : 0; }
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }
  bool continue_pending() const { return expect_continue_ && !continue_sent_; }

 private:
  std::error_code lost() {
    s_.close_ = true;
    finished_ = true;
    return errc::connection_lost;
  }

  http_session<Stream>& s_;
  bool is_head_ = false;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool head_written_ = false;
  bool finished_ = false;
  bool bodiless_ = false;
  std::error_code body_error_;
  std::optional<std::uint64_t> declared_;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  std::optional<http::response<http::buffer_body>> res_;
  std::optional<http::response_serializer<http::buffer_body>> sr_;
};

template <class Stream>
class http_session final : public session_control,
                           public std::enable_shared_from_this<http_session<Stream>> {
 public:
  http_session(session_env& env, Stream stream, tcp::endpoint remote,
               std::shared_ptr<asio::ssl::context> tls, admission_ticket ticket, bool overloaded)
      : env_(env),
        stream_(std::move(stream)),
        remote_(remote),
        tls_(std::move(tls)),
        ticket_(std::move(ticket)),
        overloaded_(overloaded),
        buffer_(env.config.max_header_bytes + 64 * 1024) {}

  static constexpr bool is_tls() { return std::is_same_v<Stream, tls_stream>; }

  void request_shutdown() override {
    asio::post(stream_.get_executor(), [self = this->weak_from_this()] {
      if (auto s = self.lock(); s && s->idle_) s->lowest().cancel();
    });
  }
  void force_close() override {
    asio::post(stream_.get_executor(), [self = this->weak_from_this()] {
      if (auto s = self.lock()) s->lowest().close();
    });
  }

  asio::awaitable<void> async_run() {
    const auto id = env_.registry.add(this->weak_from_this());
    env_.stats.connections_total.inc();
    env_.stats.connections.inc();
    try {
      co_await async_serve();
    } catch (const std::exception& e) {
      spdlog::error("connection from {}: {}", remote_string(), e.what());
    }
    env_.stats.connections.dec();
    env_.registry.remove(id);
    co_await async_close();
  }

 private:
  friend class session_request_context<Stream>;

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  bool body_done() const {
    return direct_remaining_ ? *direct_remaining_ == 0 : parser_->is_done();
  }
  std::optional<std::uint64_t> body_remaining() const {
    if (direct_remaining_) return *direct_remaining_;
    if (auto r = parser_->content_length_remaining()) return *r;
    return std::nullopt;
  }

  // Reads body bytes into `buf`: Content-Length bodies straight from the
  // socket, filling `buf` (or the rest of the body) in as few reads as the
  // kernel allows; chunked bodies through Beast's parser, which de-chunks
  // through its flat buffer. Each read that makes progress tells `stall`.
  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> async_read_body(
      std::span<std::byte> buf, stall_watch* stall) {
    if (direct_remaining_) {
      auto& remaining = *direct_remaining_;
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), remaining));
      // Body bytes that arrived with the header section.
      std::size_t got = asio::buffer_copy(asio::buffer(buf.data(), want), buffer_.data());
      buffer_.consume(got);
      boost::system::error_code ec;
      while (got < want) {
        auto [rec, n] =
            co_await stream_.async_read_some(asio::buffer(buf.data() + got, want - got), kTuple);
        got += n;
        if (n > 0 && stall != nullptr) stall->progress();
        if (rec) {
          ec = rec;
          break;
        }
      }
      remaining -= got;
      co_return std::tuple{ec, got};
    }
    auto& parser = *parser_;
    for (;;) {
      auto& body = parser.get().body();
      body.data = buf.data();
      body.size = buf.size();
      auto [ec, n] = co_await http::async_read_some(stream_, buffer_, parser, kTuple);
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = buf.size() - body.size;
      body.data = nullptr;
      body.size = 0;
      if (got > 0 && stall != nullptr) stall->progress();
      if (ec || got > 0 || parser.is_done()) co_return std::tuple{ec, got};
    }
  }
  bool keep_alive() const {
    return !close_ && !overloaded_ && parser_->get().keep_alive() &&
           !env_.stopping.load(std::memory_order_relaxed);
  }
  std::string remote_string() const {
    return fmt::format("{}:{}", remote_.address().to_string(), remote_.port());
  }

  template <class Body>
  void decorate(http::response<Body>& res, std::string_view request_id) {
    res.set(http::field::server, "kvgate");
    res.set(http::field::date, http_date(std::chrono::system_clock::now()));
    res.set("x-amz-request-id", request_id);
    // A cluster member names itself and its map in every answer (docs/scaling.md).
    const auto live = env_.hooks.cluster_map ? env_.hooks.cluster_map->current() : nullptr;
    const cluster_config& cluster = live ? *live : env_.config.cluster;
    if (cluster.enabled()) {
      res.set("x-kvgate-node", cluster.self);
      res.set("x-kvgate-map-version", std::to_string(cluster.map_version));
    }
  }

  asio::awaitable<void> async_serve() {
    if constexpr (is_tls()) {
      lowest().expires_after(env_.config.header_timeout);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kTuple);
      if (ec) {
        spdlog::debug("TLS handshake with {} failed: {}", remote_string(), ec.message());
        handshake_failed_ = true;
        co_return;
      }
    }
    bool first = true;
    for (;;) {
      // Wait for the first byte of the next request (idle keep-alive).
      if (buffer_.size() == 0) {
        idle_ = true;
        if (env_.stopping.load(std::memory_order_relaxed)) co_return;
        lowest().expires_after(first ? env_.config.header_timeout : env_.config.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kTuple);
        idle_ = false;
        if (ec) co_return;
        buffer_.commit(n);
      }
      first = false;
      parser_.emplace();
      parser_->header_limit(env_.config.max_header_bytes);
      parser_->body_limit(boost::none);
      lowest().expires_after(env_.config.header_timeout);
      auto [ec, n] = co_await http::async_read_header(stream_, buffer_, *parser_, kTuple);
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        co_await async_reply_early(transport_error::header_too_large);
        co_return;
      }
      if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
          ec == asio::error::eof || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset) {
        co_return;
      }
      if (ec) {
        co_await async_reply_early(transport_error::bad_request);
        co_return;
      }
      // Content-Length bodies bypass the parser (see async_read_body).
      direct_remaining_.reset();
      if (!parser_->is_done() && !parser_->chunked()) {
        if (auto declared = parser_->content_length()) direct_remaining_ = *declared;
      }
      co_await async_handle_request();
      if (!keep_alive()) co_return;
    }
  }

  asio::awaitable<void> async_handle_request() {
    const auto started = std::chrono::steady_clock::now();
    session_request_context<Stream> ctx(*this, env_.ids.next());
    const auto& req = parser_->get();
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const bool is_get = req.method() == http::verb::get || req.method() == http::verb::head;
    const bool is_probe =
        is_get && (path == "/health/live" || path == "/health/ready" || path == "/metrics");
    bool failed = false;
    try {
      if (is_get && (path == "/health/live" || path == "/health/ready")) {
        const bool ok = path == "/health/live" || !env_.hooks.ready || env_.hooks.ready();
        nlohmann::json j = {
            {"status", path == "/health/live" ? "live" : (ok ? "ready" : "not ready")}};
        co_await async_respond(ctx, ok ? http::status::ok : http::status::service_unavailable,
                               "application/json", j.dump());
      } else if (is_get && path == "/metrics") {
        // Collectors read disk usage and the index: off the network thread.
        std::string text = co_await async_run_blocking(
            *env_.blocking, [&metrics = env_.metrics] { return metrics.render(); });
        co_await async_respond(ctx, http::status::ok, metrics::kContentType, std::move(text));
      } else if (overloaded_) {
        co_await async_respond_error(ctx, transport_error::slow_down);
      } else if (auto ticket =
                     (req.method() == http::verb::head ? env_.inflight_heads : env_.inflight)
                         .try_acquire()) {
        env_.stats.in_flight.inc();
        struct in_flight_guard {
          metrics::gauge& g;
          ~in_flight_guard() { g.dec(); }
        } guard{env_.stats.in_flight};
        co_await env_.handler->async_handle(ctx);
      } else {
        co_await async_respond_error(ctx, transport_error::slow_down);
      }
    } catch (const std::exception& e) {
      spdlog::error("request {} {} {}: handler failed: {}", ctx.request_id(), req.method_string(),
                    target, e.what());
      failed = true;
    }
    if (!ctx.head_written()) {
      if (!failed) {
        spdlog::error("request {}: handler returned without a response", ctx.request_id());
      }
      co_await async_respond_error(ctx, transport_error::internal_error);
    } else if (!ctx.finished()) {
      if (failed) {
        close_ = true;
      } else {
        auto r = co_await ctx.async_finish();
        (void)r;
      }
    }
    if (!close_ && !body_done()) co_await async_drain(ctx.continue_pending());
    if (!is_probe) {
      env_.stats.record_request(ctx.operation(), ctx.status(),
                                std::chrono::steady_clock::now() - started, is_tls(),
                                ctx.bytes_in(), ctx.bytes_out());
    }
    if (env_.log.enabled()) {
      env_.log.write({remote_string(), req.method_string(), target, ctx.status(), ctx.bytes_in(),
                      ctx.bytes_out(),
                      std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started),
                      ctx.request_id(), is_tls()});
    }
  }

  // Reads and discards the rest of the body, up to body_drain_limit_bytes.
  asio::awaitable<void> async_drain(bool continue_pending) {
    if (continue_pending) {
      // The client waits for 100 Continue we never sent; it may or may not
      // send the body, so the stream position is unknown.
      close_ = true;
      co_return;
    }
    std::array<std::byte, kDrainChunk> scratch;
    std::uint64_t drained = 0;
    while (!body_done()) {
      if (drained > env_.config.body_drain_limit_bytes) {
        close_ = true;
        co_return;
      }
      lowest().expires_after(env_.config.body_stall_timeout);
      auto [ec, n] = co_await async_read_body(scratch, nullptr);
      drained += n;
      if (ec) {
        close_ = true;
        co_return;
      }
    }
  }

  asio::awaitable<void> async_respond(session_request_context<Stream>& ctx, http::status status,
                                      std::string_view content_type, std::string body,
                                      bool retry_after = false) {
    http::response_header<> head;
    head.result(status);
    head.set(http::field::content_type, content_type);
    if (retry_after) head.set(http::field::retry_after, "1");
    auto r = co_await ctx.async_write_head(std::move(head), body.size());
    if (!r) co_return;
    r = co_await ctx.async_write_body(std::as_bytes(std::span(body)));
    if (!r) co_return;
    r = co_await ctx.async_finish();
    (void)r;
  }

  asio::awaitable<void> async_respond_error(session_request_context<Stream>& ctx,
                                            transport_error e) {
    error_response er = env_.hooks.render_error ? env_.hooks.render_error(e, ctx.request_id())
                                                : default_render_error(e, ctx.request_id());
    if (e == transport_error::slow_down && overloaded_) close_ = true;
    co_await async_respond(ctx, er.status, er.content_type, std::move(er.body),
                           e == transport_error::slow_down);
  }

  // Answers a request whose header could not be parsed, then closes.
  asio::awaitable<void> async_reply_early(transport_error e) {
    close_ = true;
    const std::string id = env_.ids.next();
    error_response er =
        env_.hooks.render_error ? env_.hooks.render_error(e, id) : default_render_error(e, id);
    http::response<http::string_body> res{er.status, 11};
    decorate(res, id);
    res.set(http::field::content_type, er.content_type);
    res.keep_alive(false);
    res.body() = std::move(er.body);
    res.prepare_payload();
    lowest().expires_after(env_.config.body_stall_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, kTuple);
    env_.stats.record_request({}, res.result_int(), std::chrono::steady_clock::duration::zero(),
                              is_tls(), 0, 0);
    if (env_.log.enabled()) {
      env_.log.write({remote_string(), "-", "-", res.result_int(), 0, ec ? 0 : n,
                      std::chrono::microseconds(0), id, is_tls()});
    }
  }

  // Ends the connection politely: TLS close_notify, or a TCP half-close
  // followed by a short bounded read so unread request bytes do not turn
  // our last response into a reset.
  asio::awaitable<void> async_close() {
    if (!lowest().socket().is_open()) co_return;
    if constexpr (is_tls()) {
      if (!handshake_failed_) {
        lowest().expires_after(kCloseLinger);
        auto [ec] = co_await stream_.async_shutdown(kTuple);
        (void)ec;
      }
    } else {
      boost::system::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      std::size_t total = 0;
      while (!ec && total < kCloseLingerBytes) {
        buffer_.clear();
        lowest().expires_after(kCloseLinger);
        auto [rec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kTuple);
        ec = rec;
        total += n;
      }
    }
    lowest().close();
  }

  session_env& env_;
  Stream stream_;
  tcp::endpoint remote_;
  std::shared_ptr<asio::ssl::context> tls_;  // keeps the context alive for stream_
  admission_ticket ticket_;
  bool overloaded_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  // Body bytes still to read of a Content-Length body; nullopt for chunked
  // (or absent) bodies, which go through parser_.
  std::optional<std::uint64_t> direct_remaining_;
  bool idle_ = false;
  bool close_ = false;
  bool handshake_failed_ = false;
};

}  // namespace

std::string http_date(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> buf{};
  std::size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf.data(), n);
}

asio::awaitable<void> async_run_session(session_env& env, tcp::socket socket,
                                        std::shared_ptr<asio::ssl::context> tls,
                                        admission_ticket ticket, bool overloaded) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  socket.set_option(tcp::no_delay(true), ec);
  if (tls) {
    auto ctx = tls;
    auto s = std::make_shared<http_session<tls_stream>>(
        env, tls_stream(beast::tcp_stream(std::move(socket)), *ctx), remote, std::move(tls),
        std::move(ticket), overloaded);
    co_await s->async_run();
  } else {
    auto s = std::make_shared<http_session<plain_stream>>(
        env, plain_stream(std::move(socket)), remote, nullptr, std::move(ticket), overloaded);
    co_await s->async_run();
  }
}

}  // namespace kvgate::gateway
