// The RDMA fast path of GetObject and PutObject (docs/rdma-protocol.md,
// docs/sdk.md "RDMA fallback"): discovery, the session (POST
// /.rdma/v1/sessions + queue pair + memory registration), the signed request
// carrying x-amz-rdma-token, and the reply driven through the fallback state
// machine (rdma_fallback.h), which decides TCP, a retry with a new session,
// fencing or failure.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "client_impl.h"
#include "kvgate/rdma/reply.h"
#include "rdma_replies.h"

namespace kvgate::sdk {

using namespace detail;

namespace {

constexpr std::string_view kAgent = "kvgate-sdk/1";

std::string rdma_header(const http::fields& h, std::string_view name) {
  return header_value(h, name);
}

// Total size from "bytes a-b/total".
std::optional<std::uint64_t> range_total(std::string_view v) {
  const auto slash = v.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::uint64_t n = 0;
  const auto tail = v.substr(slash + 1);
  const auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), n);
  if (ec != std::errc{} || ptr != tail.data() + tail.size()) return std::nullopt;
  return n;
}

rdma_reply reply_for(const result<response>& r, rdma_operation op, unsigned attempt,
                     std::optional<rdma_reply>& classified) {
  if (!r) return rdma_no_response(r.error().code == sdk_errc::timeout, op, attempt);
  const auto body = parse_error_body(r->text);
  // Named: the view below only points at them (temporaries would be gone
  // before classify_rdma_response reads them).
  const std::string reply = rdma_header(r->headers, rdma::header::reply);
  const std::string reason = rdma_header(r->headers, rdma::header::reason);
  const std::string bytes = rdma_header(r->headers, rdma::header::bytes_transferred);
  const rdma_response_view view{
      r->status,  reply, reason, bytes, body ? std::string_view(body->code) : std::string_view(),
      r->received};
  classified = classify_rdma_response(view, op, attempt);
  return classified.value_or(rdma_reply{});
}

// rdma=on and the transfer did not complete over RDMA: the error the
// operation ends with (the HTTP answer's fields when there was one).
error rdma_incomplete(const result<response>& r, const rdma_reply& reply) {
  error e = r ? http_error(*r) : r.error();
  e.code = sdk_errc::rdma_unavailable;
  e.message = "rdma=on but the RDMA transfer did not complete: " +
              (reply.reason ? std::string(rdma::to_string(*reply.reason))
                            : (r ? "HTTP " + std::to_string(r->status) : r.error().message));
  return e;
}

// A routed RDMA request refused with 421 ClusterMapMismatch (the node has
// another map; async_request fetched the current one): route it again, once.
bool map_changed(const result<response>& r, bool& retry_used) {
  if (!r || r->status != 421 || retry_used) return false;
  retry_used = true;
  return true;
}

// Errors that end the operation whatever the transport (the caller's).
bool final_local_error(const error& e) {
  return e.code == sdk_errc::buffer_too_small || e.code == sdk_errc::invalid_argument ||
         e.code == sdk_errc::shut_down;
}

}  // namespace

// ---- path decisions -------------------------------------------------------

rdma_rail::rdma_rail(std::string node_endpoint, const rdma_fallback_config& config)
    : node(std::move(node_endpoint)),
      path(node + " rail 0", config,
           // Called under rdma_mutex: one log line per change, and the reason
           // kept for stats().transport.
           [this](path_state from, path_state to, std::string_view why) {
             spdlog::info("kvgate sdk: RDMA path {} rail 0: {} -> {} ({})", node, to_string(from),
                          to_string(to), why);
             last_change = std::string(why);
           }) {}

rdma_rail& client::impl::rail_for(const std::string& node) {
  auto it = rdma_rails.find(node);
  if (it == rdma_rails.end())
    it = rdma_rails.emplace(node, std::make_unique<rdma_rail>(node, rdma_config)).first;
  return *it->second;
}

// Under rdma_mutex.
route_decision client::impl::rdma_route(rdma_rail& rail, rdma_operation op, std::uint64_t bytes,
                                        bool registered) {
  const rdma_request_facts facts{op, bytes, rdma_device_present, registered};
  return rail.path.route_for(facts, std::chrono::steady_clock::now());
}

reply_action client::impl::rdma_report(rdma_rail& rail, const rdma_reply& reply,
                                       const std::shared_ptr<live_session>& session) {
  reply_action action;
  {
    std::lock_guard lock(rdma_mutex);
    action = rail.path.on_reply(reply, std::chrono::steady_clock::now());
  }
  // Fence before anything else may touch the window (docs/rdma-protocol.md §8).
  if (action.must_fence_window || action.drop_session)
    rdma_memory->drop(session, action.must_fence_window);
  return action;
}

error client::impl::rdma_refusal(std::string_view why) const {
  return make_error(sdk_errc::rdma_unavailable, "rdma=on but " + std::string(why));
}

// The node an RDMA transfer of (bucket, key) goes to: the endpoint, or with
// direct routing the key's owner, which the session, the discovery and the
// transfer itself are all sent to (a proxy never sees them). nullopt: the
// owner is bypassed (unreachable), so the request goes through the endpoint
// over TCP.
asio::awaitable<std::optional<rdma_target>> client::impl::async_rdma_target(
    const std::string& bucket, const std::string& key) {
  std::optional<cluster_route> route;
  if (router) {
    request_spec probe;
    probe.bucket = bucket;
    probe.key = key;
    route = co_await async_route(probe);
    if (!route->table) {
      route.reset();  // no map (yet): the endpoint, as without routing
    } else if (!route->member) {
      co_return std::nullopt;
    }
  }
  const std::string node =
      route ? route->table->map.members[*route->member].s3_endpoint : options.endpoint;
  std::lock_guard lock(rdma_mutex);
  co_return rdma_target{&rail_for(node), std::move(route)};
}

// GET /.rdma/v1/capabilities of the target node.
asio::awaitable<void> client::impl::async_rdma_discover(rdma_target target) {
  request_spec spec;
  spec.method = http::verb::get;
  spec.raw_path = std::string(rdma::kCapabilitiesPath);
  spec.route = target.route;
  spec.to_endpoint = !target.route;
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  discovery_outcome outcome = discovery_outcome::failed;
  server_limits limits;
  if (r && r->status == 200) {
    auto caps = rdma::parse_capabilities(r->text);
    const bool rc1 = caps && caps->listener &&
                     std::find(caps->transports.begin(), caps->transports.end(),
                               rdma::kRc1Transport) != caps->transports.end();
    outcome = rc1    ? discovery_outcome::rc1_offered
              : caps ? discovery_outcome::no_transports
                     : discovery_outcome::not_supported;
    if (rc1) {
      limits.min_rdma_bytes = caps->limits.min_rdma_bytes;
      limits.max_request_bytes = caps->limits.max_request_bytes;
    }
  } else if (r && r->status >= 400 && r->status < 500) {
    outcome = discovery_outcome::not_supported;
  }
  std::lock_guard lock(rdma_mutex);
  target.rail->path.on_discovery(outcome, limits, std::chrono::steady_clock::now());
}

// POST /.rdma/v1/sessions to the target node, connect the queue pair,
// register the regions. Null when that failed (reported to the rail's state
// machine, whose action is in `action`).
asio::awaitable<std::shared_ptr<live_session>> client::impl::async_rdma_session(
    rdma_target target, rdma_operation op, unsigned attempt, reply_action& action) {
  rdma_rail& rail = *target.rail;
  for (;;) {
    if (auto s = rdma_memory->current(rail.node)) co_return s;
    if (rdma_memory->begin_creation(rail.node)) break;
    asio::steady_timer wait(co_await asio::this_coro::executor, std::chrono::milliseconds(2));
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  struct creation_guard {
    rdma_memory_registry& r;
    const std::string& node;
    ~creation_guard() { r.end_creation(node); }
  } guard{*rdma_memory, rail.node};

  auto failed = [&](rdma_reply reply, std::string_view why) {
    spdlog::debug("kvgate sdk: RDMA session for {}: {}", rail.node, why);
    action = rdma_report(rail, reply, nullptr);
    return std::shared_ptr<live_session>();
  };
  rdma_reply reply;
  reply.operation = op;
  reply.attempt = attempt;

  request_spec spec;
  spec.method = http::verb::post;
  spec.raw_path = std::string(rdma::kSessionsPath);
  spec.route = target.route;
  spec.to_endpoint = !target.route;
  spec.max_attempts = 1;
  spec.send_content_length = true;
  spec.idempotent = false;
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  if (!r)
    co_return failed(rdma_no_response(r.error().code == sdk_errc::timeout, op, attempt),
                     r.error().to_string());
  if (r->status != 201) {
    // 501 not-enabled, 503 busy (session limit): declines; anything else fails the path.
    reply.reason = rdma::parse_decline_reason(rdma_header(r->headers, rdma::header::reason));
    reply.kind = reply.reason ? reply_kind::declined : reply_kind::transfer_failed;
    co_return failed(reply, "POST sessions answered " + std::to_string(r->status));
  }
  auto grant = rdma::parse_session_created(r->text);
  reply.kind = reply_kind::transfer_failed;
  if (!grant) co_return failed(reply, "malformed session document");

  // Connecting and registering block (rdma_cm events, ibv_reg_mr pinning
  // pages): done on the client's blocking thread, not an io thread.
  const auto home = co_await asio::this_coro::executor;
  co_await asio::post(rdma_blocking.get_executor(), asio::use_awaitable);
  auto link = rdma_connector_->connect(*grant);
  rdma::result<std::shared_ptr<live_session>> installed = rdma::rdma_errc::not_connected;
  if (link)
    installed =
        rdma_memory->install(std::make_shared<live_session>(rail.node, *grant, std::move(*link)));
  co_await asio::post(home, asio::use_awaitable);
  if (!link) co_return failed(reply, "connect to the RDMA listener: " + link.error().message());
  if (!installed) co_return failed(reply, "memory registration: " + installed.error().message());
  {
    std::lock_guard lock(rdma_mutex);
    rail.listener = grant->listener;
  }
  co_return *installed;
}

// Where a request goes; a session when it goes RDMA. nullopt: TCP.
asio::awaitable<result<std::optional<client::impl::rdma_ticket>>> client::impl::async_rdma_prepare(
    const std::string& bucket, const std::string& key, rdma_operation op, std::uint64_t bytes,
    const std::byte* data, std::uint64_t window, unsigned attempt) {
  using out = result<std::optional<rdma_ticket>>;
  auto region = rdma_memory->find(data, window);
  if (!region && options.rdma_register_mappings && options.rdma != rdma_mode::off &&
      rdma_device_present && bytes >= options.min_rdma_bytes && !mapping_refused(data)) {
    // Reading /proc/self/maps and ibv_reg_mr of a whole pool (pinning every
    // page: seconds for a large one) block: on the client's blocking
    // thread, not an io thread. A buffer in a range already refused skips
    // the hop.
    const auto home = co_await asio::this_coro::executor;
    co_await asio::post(rdma_blocking.get_executor(), asio::use_awaitable);
    region = register_mapping_of(data, window);
    co_await asio::post(home, asio::use_awaitable);
  }
  // Only a transfer that may go RDMA looks up its node (a map fetch at most).
  if (options.rdma == rdma_mode::off || !rdma_device_present || !region) {
    std::lock_guard lock(rdma_mutex);
    const auto decision = rdma_route(rail_for(options.endpoint), op, bytes, region.has_value());
    if (decision.path == route::fail) {
      std::string why(decision.why);
      if (!rdma_unused_reason.empty() && decision.local_reason == ineligible_reason::no_device)
        why += " (" + rdma_unused_reason + ")";
      co_return out(rdma_refusal(why));
    }
    co_return out(std::nullopt);
  }
  auto target = co_await async_rdma_target(bucket, key);
  if (!target) {
    // The owner is bypassed: its keys go through the endpoint (a proxy).
    if (options.rdma == rdma_mode::on)
      co_return out(
          rdma_refusal("the key's cluster node is unreachable (bypassed); its requests "
                       "go through the endpoint, which has no session"));
    co_return out(std::nullopt);
  }
  route_decision decision;
  {
    std::lock_guard lock(rdma_mutex);
    decision = rdma_route(*target->rail, op, bytes, true);
  }
  if (decision.path == route::discover) {
    co_await async_rdma_discover(*target);
    std::lock_guard lock(rdma_mutex);
    decision = rdma_route(*target->rail, op, bytes, true);
    if (decision.path == route::discover) decision = {route::tcp, std::nullopt, "discovery"};
  }
  if (decision.path == route::fail) co_return out(rdma_refusal(decision.why));
  if (decision.path == route::tcp) co_return out(std::nullopt);

  reply_action action;
  auto session = co_await async_rdma_session(*target, op, attempt, action);
  if (!session) {
    if (action.step == next_step::fail) co_return out(rdma_refusal("no RDMA session"));
    co_return out(std::nullopt);
  }
  co_return out(rdma_ticket{std::move(session), *region, std::move(*target)});
}

// ---- GET ------------------------------------------------------------------

asio::awaitable<std::optional<result<get_result>>> client::impl::async_rdma_get(
    const std::string& bucket, const std::string& key, std::span<std::byte> buffer,
    const std::optional<byte_range>& range) {
  using out = std::optional<result<get_result>>;
  const std::uint64_t bytes = range && range->length ? *range->length : buffer.size();
  bool map_retry_used = false;
  for (unsigned attempt = 1;; ++attempt) {
    auto prepared = co_await async_rdma_prepare(bucket, key, rdma_operation::get, bytes,
                                                buffer.data(), buffer.size(), attempt);
    if (!prepared) co_return out(prepared.error());
    if (!*prepared) co_return std::nullopt;
    const rdma_ticket ticket = std::move(**prepared);
    auto token = ticket.session->token(ticket.region, buffer.data(), buffer.size());
    if (!token) {  // fenced meanwhile by another request
      rdma_memory->drop(ticket.session, false);
      if (attempt < 2) continue;
      co_return std::nullopt;
    }

    request_spec spec;
    // The session's node: the endpoint, or the owner it was made with (never
    // rerouted: the endpoint does not know the session).
    spec.route = ticket.target.route;
    spec.to_endpoint = !ticket.target.route;
    spec.method = http::verb::get;
    spec.bucket = bucket;
    spec.key = key;
    spec.max_attempts = 1;
    spec.headers = {
        {"x-amz-checksum-mode", "ENABLED"},
        {std::string(rdma::header::token), *token},
        // rdma=on must never move bytes over TCP: no body fallback.
        {std::string(rdma::header::fallback), options.rdma == rdma_mode::on ? "none" : "body"},
        {std::string(rdma::header::agent), std::string(kAgent)}};
    if (range) {
      std::string value = "bytes=" + std::to_string(range->offset) + "-";
      if (range->length) value += std::to_string(range->offset + *range->length - 1);
      spec.headers.push_back({"range", value});
    }
    body_sink sink;
    sink.target = buffer;  // a declined GET's body fallback lands in place too
    auto r = co_await async_request(std::move(spec), sink);
    if (!r && final_local_error(r.error())) co_return out(r.error());
    if (map_changed(r, map_retry_used)) {
      --attempt;  // the owner under the new map, with its own session
      continue;
    }
    std::optional<rdma_reply> classified;
    const rdma_reply reply = reply_for(r, rdma_operation::get, attempt, classified);
    if (r && !classified) {
      // An ordinary S3 answer (NoSuchKey, AccessDenied, ...): the operation's own.
      co_return out(r->status == 200 || r->status == 206
                        ? result<get_result>(make_error(sdk_errc::protocol_error,
                                                        "GET with an RDMA token answered "
                                                        "without x-amz-rdma-reply"))
                        : result<get_result>(http_error(*r)));
    }
    const reply_action action = rdma_report(*ticket.target.rail, reply, ticket.session);
    switch (action.step) {
      case next_step::retry_rdma_new_session:
        continue;
      case next_step::tcp:
        co_return std::nullopt;
      case next_step::fail:
        co_return out(rdma_incomplete(r, reply));
      case next_step::done:
        break;
    }
    get_result got;
    got.bytes = reply.kind == reply_kind::completed ? reply.bytes : r->received;
    if (got.bytes > buffer.size())
      co_return out(
          make_error(sdk_errc::protocol_error, "RDMA GET reports more bytes than the window"));
    got.etag = header_value(r->headers, "etag");
    got.object_size = got.bytes;
    if (r->status == 206) {
      if (auto total = range_total(header_value(r->headers, "content-range")))
        got.object_size = *total;
    }
    if (auto verified = verify_rdma_checksum(*r, buffer.first(got.bytes), got); !verified)
      co_return out(verified.error());
    co_return out(std::move(got));
  }
}

// Same rule as the TCP GET (object_ops.cc): whole-object CRC32C when sent.
result<void> client::impl::verify_rdma_checksum(const response& r,
                                                std::span<const std::byte> received,
                                                get_result& got) {
  const std::string crc = header_value(r.headers, "x-amz-checksum-crc32c");
  if (r.status != 200 || crc.empty() || crc.find('-') != std::string::npos ||
      header_value(r.headers, "x-amz-checksum-type") == "COMPOSITE")
    return {};
  if (crc32c_base64(received) != crc) {
    ++counters.checksum_mismatches;
    auto e = make_error(sdk_errc::checksum_mismatch,
                        "CRC32C of the bytes received over RDMA differs from the server's " + crc);
    e.http_status = r.status;
    e.request_id = header_value(r.headers, "x-amz-request-id");
    e.attempts = r.attempts;
    return e;
  }
  ++counters.checksums_verified;
  got.checksum_verified = true;
  return {};
}

// ---- PUT ------------------------------------------------------------------

asio::awaitable<std::optional<result<put_result>>> client::impl::async_rdma_put(
    const std::string& bucket, const std::string& key, std::span<const std::byte> data,
    const put_options& opts) {
  using out = std::optional<result<put_result>>;
  std::string crc;  // computed once, only when RDMA is tried
  bool map_retry_used = false;
  for (unsigned attempt = 1;; ++attempt) {
    auto prepared = co_await async_rdma_prepare(bucket, key, rdma_operation::put, data.size(),
                                                data.data(), data.size(), attempt);
    if (!prepared) co_return out(prepared.error());
    if (!*prepared) co_return std::nullopt;
    const rdma_ticket ticket = std::move(**prepared);
    auto token = ticket.session->token(ticket.region, data.data(), data.size());
    if (!token) {
      rdma_memory->drop(ticket.session, false);
      if (attempt < 2) continue;
      co_return std::nullopt;
    }
    if (crc.empty()) crc = crc32c_base64(data);

    request_spec spec;
    // The session's node: the endpoint, or the owner it was made with (never
    // rerouted: the endpoint does not know the session).
    spec.route = ticket.target.route;
    spec.to_endpoint = !ticket.target.route;
    spec.method = http::verb::put;
    spec.bucket = bucket;
    spec.key = key;
    spec.max_attempts = 1;
    spec.send_content_length = true;  // Content-Length: 0, the bytes move over RDMA
    // The checksum and the RDMA length are what make the gateway refuse to
    // store anything but exactly these bytes (docs/rdma-protocol.md §6).
    spec.headers = {{"content-type", opts.content_type},
                    {"x-amz-checksum-crc32c", crc},
                    {std::string(rdma::header::content_length), std::to_string(data.size())},
                    {std::string(rdma::header::token), *token},
                    {std::string(rdma::header::agent), std::string(kAgent)}};
    if (opts.if_none_match) spec.headers.push_back({"if-none-match", "*"});
    body_sink sink;
    auto r = co_await async_request(std::move(spec), sink);
    if (!r && final_local_error(r.error())) co_return out(r.error());
    if (map_changed(r, map_retry_used)) {
      --attempt;
      continue;
    }
    std::optional<rdma_reply> classified;
    const rdma_reply reply = reply_for(r, rdma_operation::put, attempt, classified);
    if (r && !classified) {
      co_return out(r->status == 200
                        ? result<put_result>(make_error(sdk_errc::protocol_error,
                                                        "PUT with an RDMA token answered without "
                                                        "x-amz-rdma-reply"))
                        : result<put_result>(http_error(*r)));
    }
    const reply_action action = rdma_report(*ticket.target.rail, reply, ticket.session);
    switch (action.step) {
      case next_step::retry_rdma_new_session:
        continue;
      case next_step::tcp:
        co_return std::nullopt;
      case next_step::fail:
        co_return out(rdma_incomplete(r, reply));
      case next_step::done:
        break;
    }
    if (reply.kind != reply_kind::completed || reply.bytes != data.size())
      co_return out(make_error(sdk_errc::protocol_error,
                               "RDMA PUT moved " + std::to_string(reply.bytes) + " of " +
                                   std::to_string(data.size()) + " bytes"));
    co_return out(put_result{header_value(r->headers, "etag"), false, 1});
  }
}

}  // namespace kvgate::sdk
