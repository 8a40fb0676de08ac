// client::impl: construction, signing, and one request with retries.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "client_impl.h"
#include "kvgate/protocol/checksum.h"
#include "request_signing.h"

namespace kvgate::sdk {
namespace detail {

std::string header_value(const http::fields& h, std::string_view name) {
  auto it = h.find(name);
  return it == h.end() ? std::string() : std::string(it->value());
}

protocol::byte_view as_byte_view(std::span<const std::byte> s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string crc32c_base64(std::span<const std::byte> s) {
  return protocol::checksum_base64(protocol::checksum_algorithm::crc32c, as_byte_view(s));
}

error http_error(const response& r) {
  error e;
  e.code = sdk_errc::server_error;
  e.http_status = r.status;
  e.attempts = r.attempts;
  if (auto body = parse_error_body(r.text)) {
    e.s3_code = body->code;
    e.message = body->message;
    e.request_id = body->request_id;
  }
  if (auto id = header_value(r.headers, "x-amz-request-id"); !id.empty()) e.request_id = id;
  if (e.s3_code.empty()) {  // HEAD and some proxies send no body
    switch (r.status) {
      case 404:
        e.s3_code = "NoSuchKey";
        break;
      case 403:
        e.s3_code = "AccessDenied";
        break;
      case 412:
        e.s3_code = "PreconditionFailed";
        break;
      case 416:
        e.s3_code = "InvalidRange";
        break;
      case 503:
        e.s3_code = "ServiceUnavailable";
        break;
      default:
        e.s3_code = "HttpError";
        break;
    }
  }
  return e;
}

}  // namespace detail

using namespace detail;

client::impl::impl(client_options opts)
    : options(std::move(opts)),
      work(asio::make_work_guard(io)),
      rdma_config([&] {
        rdma_fallback_config c = options.rdma_fallback;
        c.mode = options.rdma;
        c.min_rdma_bytes = options.min_rdma_bytes;
        return c;
      }()),
      rng(std::random_device{}()) {}

client::impl::~impl() {
  work.reset();
  for (auto& t : threads) t.join();
  pool.reset();
  slots.reset();
}

std::chrono::milliseconds client::impl::next_backoff(unsigned retry) {
  std::lock_guard lock(rng_mutex);
  const double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return backoff_delay(options.retry, retry, r);
}

asio::awaitable<result<response>> client::impl::async_request(request_spec spec, body_sink& sink) {
  cluster_route route = co_await async_route(spec);
  auto where = locate_request(spec, route);
  if (!where) co_return where.error();
  // Requests routed by a cluster map carry its version (signed); a node
  // with another map refuses them with 421 ClusterMapMismatch.
  auto add_map_headers = [&spec](const cluster_route& r) {
    std::vector<protocol::owned_header> headers = spec.headers;
    if (r.table && spec.raw_path.empty()) {
      headers.push_back({"x-kvgate-map-version", r.table->version});
      headers.push_back({"x-kvgate-cluster-id", r.table->map.cluster_id});
    }
    return headers;
  };
  auto headers = add_map_headers(route);
  retry_options retry = options.retry;
  if (spec.max_attempts != 0) retry.max_attempts = spec.max_attempts;
  const bool head = spec.method == http::verb::head;

  bool stale_retry_used = false;
  bool map_retry_used = false;
  for (unsigned attempt = 1;; ++attempt) {
    sink.received = 0;
    sink.text.clear();
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto signed_req = build_signed_request(signing, *where, spec.method, spec.query, headers,
                                           protocol::kUnsignedPayload, now);
    if (!signed_req) co_return signed_req.error();
    outgoing_request& out = *signed_req;
    out.body = spec.body;
    out.send_content_length = spec.send_content_length;
    if (route.member) ++counters.routed_direct;

    std::optional<error> failure;
    exchange_result ex;
    bool reused = false;
    // Held until this attempt's response is read (or it failed).
    const std::string dialled = where->dial_host + ":" + std::to_string(where->dial_port);
    auto slot = co_await slots->async_acquire(dialled);
    if (!slot) co_return slot.error();
    auto acquired = co_await pool->async_acquire(*where);
    if (!acquired) {
      failure = acquired.error();
    } else {
      reused = acquired->reused;
      ++(reused ? counters.connections_reused : counters.connections_opened);
      auto conn = std::move(acquired->conn);
      ex = co_await async_exchange(*conn, out, head, sink, options.request_timeout);
      ++counters.requests;
      if (ex.got_response) counters.bytes_sent += spec.body.size();
      counters.bytes_received += ex.response.body_bytes;
      if (ex.failure) {
        failure = ex.failure;
      } else {
        ++conn->requests;
        if (ex.reusable) pool->release(std::move(conn));
      }
    }
    slot->release();

    if (!failure && ex.response.status == 421 && route.table && !map_retry_used) {
      // Another map than ours (the node refused before doing anything):
      // fetch it and route this request again, once. A per-member request
      // returns the 421 to its caller.
      ++counters.map_mismatches;
      map_retry_used = true;
      co_await async_fetch_cluster_map();
      if (!spec.route) {
        route = co_await async_route(spec);
        where = locate_request(spec, route);
        if (!where) co_return where.error();
        headers = add_map_headers(route);
        --attempt;
        continue;
      }
    }

    if (failure) {
      // A kept-alive connection the server closed meanwhile: the request
      // never reached it. Drop the other idle ones too and retry at once.
      if (reused && !ex.got_response && failure->code == sdk_errc::connection_failed &&
          !stale_retry_used && spec.idempotent) {
        stale_retry_used = true;
        pool->close_idle();
        --attempt;
        continue;
      }
      if (route.member && !ex.got_response &&
          (failure->code == sdk_errc::connection_failed || failure->code == sdk_errc::timeout) &&
          (!acquired || spec.idempotent)) {
        // The owning node cannot be reached: bypass it for a while and send
        // this request to the endpoint (the proxy routes it to the next node
        // on the ring). Per-member requests are not rerouted: their caller
        // decides.
        const auto& member = route.table->map.members[*route.member];
        if (router->bypass(*route.table, *route.member, std::chrono::steady_clock::now())) {
          ++counters.node_bypasses;
          spdlog::warn("kvgate sdk: node {} ({}) unreachable ({}); its keys go to {} for {} ms",
                       member.id, member.s3_endpoint, failure->message, options.endpoint,
                       options.node_bypass.count());
        }
        if (!spec.route) {
          ++counters.rerouted;
          route.member.reset();
          where = locate_request(spec, route);
          if (!where) co_return where.error();
          --attempt;
          continue;
        }
      }
      const attempt_outcome outcome{failure->code, 0};
      if (should_retry(retry, attempt, outcome, spec.idempotent)) {
        ++counters.retries;
        pool->close_idle();
        const auto delay = next_backoff(attempt - 1);
        spdlog::debug("kvgate sdk: {} {} attempt {} failed ({}), retrying in {} ms",
                      http::to_string(spec.method), out.target, attempt, failure->message,
                      delay.count());
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      failure->attempts = attempt;
      co_return *failure;
    }

    const attempt_outcome outcome{{}, ex.response.status};
    if (should_retry(retry, attempt, outcome, spec.idempotent)) {
      ++counters.retries;
      const auto delay = next_backoff(attempt - 1);
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    response r;
    r.status = ex.response.status;
    r.headers = std::move(ex.response.headers);
    r.text = std::move(sink.text);
    r.received = sink.received;
    r.attempts = attempt;
    co_return r;
  }
}

}  // namespace kvgate::sdk
