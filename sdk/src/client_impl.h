// State shared by the client's operations (private to the SDK): options,
// signing identity, the io_context and its threads, the connection pool,
// counters and the RDMA path. The operations (object_ops.cc, multipart_put.cc,
// parallel_get.cc) are coroutines on the io_context; client.cc exposes them
// synchronously and as futures.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "cluster_router.h"
#include "connection_pool.h"
#include "http_exchange.h"
#include "kvgate/protocol/sigv4_signer.h"
#include "kvgate/sdk/client.h"
#include "rdma_memory.h"
#include "request_slots.h"
#include "s3_documents.h"

namespace kvgate::sdk {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace detail {

struct request_spec {
  http::verb method = http::verb::get;
  std::string bucket;
  std::string key;
  protocol::query_params query;
  std::vector<protocol::owned_header> headers;  // all signed (host is added)
  std::span<const std::byte> body;
  bool idempotent = true;
  std::string raw_path;       // set: this path-style path instead of bucket/key (/.rdma/v1/...)
  unsigned max_attempts = 0;  // 0: options.retry.max_attempts (RDMA requests: 1)
  bool send_content_length = false;  // Content-Length: 0 for an empty body (RDMA PUT)
  // Direct routing (cluster_router.h). Unset: routed by bucket/key. Set: sent
  // to this member (or the endpoint) and never rerouted elsewhere when the
  // node cannot be reached (per-member requests: BatchExists groups, bucket
  // creation).
  std::optional<cluster_route> route;
  bool to_endpoint = false;  // never routed (map fetches, RDMA requests)
};

// The RDMA path to one node ("rail 0" of that gateway): the client's
// endpoint, or with direct cluster routing each member it sends RDMA
// requests to. Its fallback state machine (rdma_fallback.h), why that last
// changed, and the listener it granted. Created on first use, never
// removed, not movable (the path's observer points at it). Guarded by the
// client's rdma_mutex.
struct rdma_rail {
  rdma_rail(std::string node_endpoint, const rdma_fallback_config& config);
  rdma_rail(const rdma_rail&) = delete;
  rdma_rail& operator=(const rdma_rail&) = delete;

  std::string node;  // its S3 endpoint: the session registry's key, log lines
  rdma_path path;
  std::string last_change;  // why the path last changed state (stats().transport)
  std::optional<rdma::listener_address> listener;
};

// Where an RDMA transfer goes: the rail, and the member route of its
// requests (nullopt: the client's endpoint, no cluster routing).
struct rdma_target {
  rdma_rail* rail = nullptr;
  std::optional<cluster_route> route;
};

struct response {
  unsigned status = 0;
  http::fields headers;
  std::string text;            // non-target body (XML, errors)
  std::uint64_t received = 0;  // bytes written into the sink's target
  unsigned attempts = 0;
};

struct counters {
  std::atomic<std::uint64_t> requests{0}, operations{0}, errors{0}, retries{0}, bytes_sent{0},
      bytes_received{0}, connections_opened{0}, connections_reused{0}, checksums_verified{0},
      checksum_mismatches{0}, multipart_uploads{0}, ranged_gets{0}, routed_direct{0}, rerouted{0},
      node_bypasses{0}, map_fetches{0}, map_mismatches{0};
};

std::string header_value(const http::fields& h, std::string_view name);
// An error from a non-success response: status, S3 code/message/request id.
error http_error(const response& r);
protocol::byte_view as_byte_view(std::span<const std::byte> s) noexcept;
std::string crc32c_base64(std::span<const std::byte> s);

}  // namespace detail

struct client::impl {
  explicit impl(client_options opts);
  ~impl();

  // One request with retries (retry_policy.h). Transport failures after the
  // last attempt are errors; any HTTP status is returned as a response.
  asio::awaitable<result<detail::response>> async_request(detail::request_spec spec,
                                                          detail::body_sink& sink);

  asio::awaitable<result<put_result>> async_put(std::string bucket, std::string key,
                                                std::span<const std::byte> data, put_options opts);
  asio::awaitable<result<put_result>> async_multipart_put(std::string bucket, std::string key,
                                                          std::span<const std::byte> data,
                                                          put_options opts);
  asio::awaitable<result<get_result>> async_get(std::string bucket, std::string key,
                                                std::span<std::byte> buffer,
                                                std::optional<byte_range> range);
  // The TCP part of async_get (after the RDMA path declined): one GET, or
  // parallel ranged GETs into a large buffer. Never routed to RDMA again.
  asio::awaitable<result<get_result>> async_tcp_get(std::string bucket, std::string key,
                                                    std::span<std::byte> buffer,
                                                    std::optional<byte_range> range);
  asio::awaitable<result<get_result>> async_parallel_get(std::string bucket, std::string key,
                                                         std::span<std::byte> buffer);
  asio::awaitable<result<object_info>> async_head(std::string bucket, std::string key);
  asio::awaitable<result<std::vector<bool>>> async_exists_batch(std::string bucket,
                                                                std::vector<std::string> keys);
  // One BatchExists request (<= 1000 keys); nullopt when the server does not
  // speak it (then it is not asked again).
  asio::awaitable<std::optional<result<std::vector<bool>>>> async_batch_exists_request(
      const std::string& bucket, const std::vector<std::string>& keys,
      const std::optional<detail::cluster_route>& route = {});
  asio::awaitable<result<std::vector<bool>>> async_exists_by_heads(
      const std::string& bucket, const std::vector<std::string>& keys);
  // BatchExists grouped by owning node, the groups in parallel
  // (cluster_routing.cc); keys whose node is bypassed are asked by HEAD.
  asio::awaitable<result<std::vector<bool>>> async_exists_batch_routed(
      std::shared_ptr<const detail::route_table> table, std::string bucket,
      std::vector<std::string> keys);
  // BatchExists in slices of 1000, then HEADs for what it could not answer.
  asio::awaitable<result<std::vector<bool>>> async_exists_batch_direct(
      const std::string& bucket, const std::vector<std::string>& keys,
      const std::optional<detail::cluster_route>& route);
  asio::awaitable<result<void>> async_remove(std::string bucket, std::string key);
  asio::awaitable<result<void>> async_create_bucket(std::string bucket);
  asio::awaitable<result<void>> async_create_bucket_on(std::string bucket,
                                                       std::optional<detail::cluster_route> route);
  // Direct routing (cluster_routing.cc): where a request goes, the map
  // fetch, and whether requests are being routed to nodes now.
  asio::awaitable<detail::cluster_route> async_route(const detail::request_spec& spec);
  asio::awaitable<void> async_fetch_cluster_map();
  // Fetches the map when there is none yet, or starts a background refetch
  // when it is older than map_refresh; at most one attempt per node_bypass.
  asio::awaitable<void> async_refresh_map_if_due();
  result<request_location> locate_request(const detail::request_spec& spec,
                                          const detail::cluster_route& route) const;
  bool routing_directly() const;
  std::string describe_routing() const;
  asio::awaitable<result<detail::list_v2_result>> async_list_page(std::string bucket,
                                                                  std::string prefix,
                                                                  std::string delimiter,
                                                                  std::string token,
                                                                  unsigned page_size);

  // The RDMA fast path (rdma_transfer_ops.cc): nullopt means "send it over
  // TCP"; a value is the operation's final answer (RDMA success, a GET
  // declined with its body, an S3 error, or rdma=on refusing TCP).
  asio::awaitable<std::optional<result<get_result>>> async_rdma_get(
      const std::string& bucket, const std::string& key, std::span<std::byte> buffer,
      const std::optional<byte_range>& range);
  asio::awaitable<std::optional<result<put_result>>> async_rdma_put(const std::string& bucket,
                                                                    const std::string& key,
                                                                    std::span<const std::byte> data,
                                                                    const put_options& opts);
  // client_options::rdma_register_mappings: registers the anonymous mapping
  // holding [data, data + size) and returns its region; nullopt when that
  // mapping is not eligible (remembered: not looked up again).
  // True when `data` lies in a range already found not eligible (cheap: no
  // lookup, callable on an io thread).
  bool mapping_refused(const std::byte* data);
  std::optional<detail::memory_region> register_mapping_of(const std::byte* data,
                                                           std::uint64_t size);
  // Its pieces: the node (the key's owner with direct routing; nullopt when
  // that owner is bypassed), the route (under rdma_mutex), discovery, the
  // session, the reply reported to the rail's state machine (fencing or
  // dropping the session as it says), the rdma=on refusal, the CRC32C check
  // of RDMA-written bytes.
  struct rdma_ticket {
    std::shared_ptr<detail::live_session> session;
    detail::memory_region region;
    detail::rdma_target target;
  };
  asio::awaitable<std::optional<detail::rdma_target>> async_rdma_target(const std::string& bucket,
                                                                        const std::string& key);
  // Under rdma_mutex: the rail of `node`, created on first use.
  detail::rdma_rail& rail_for(const std::string& node);
  route_decision rdma_route(detail::rdma_rail& rail, rdma_operation op, std::uint64_t bytes,
                            bool registered);
  asio::awaitable<void> async_rdma_discover(detail::rdma_target target);
  asio::awaitable<std::shared_ptr<detail::live_session>> async_rdma_session(
      detail::rdma_target target, rdma_operation op, unsigned attempt, reply_action& action);
  asio::awaitable<result<std::optional<rdma_ticket>>> async_rdma_prepare(
      const std::string& bucket, const std::string& key, rdma_operation op, std::uint64_t bytes,
      const std::byte* data, std::uint64_t window, unsigned attempt);
  reply_action rdma_report(detail::rdma_rail& rail, const rdma_reply& reply,
                           const std::shared_ptr<detail::live_session>& session);
  error rdma_refusal(std::string_view why) const;
  result<void> verify_rdma_checksum(const detail::response& r, std::span<const std::byte> received,
                                    get_result& got);
  std::chrono::milliseconds next_backoff(unsigned retry);
  // Counts the finished operation (and its error).
  template <class T>
  result<T> finish(result<T> r) {
    ++counters.operations;
    if (!r) ++counters.errors;
    return r;
  }

  client_options options;
  endpoint server;
  std::optional<endpoint> connect_to;
  resolved_credentials credentials;
  protocol::signing_credentials signing;

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::unique_ptr<detail::connection_pool> pool;
  std::unique_ptr<detail::request_slots> slots;  // max_requests_in_flight
  detail::counters counters;
  // False once the server answered BatchExists as an unknown request.
  std::atomic<bool> batch_exists_supported{true};

  bool rdma_device_present = false;
  std::string rdma_unused_reason;    // why this host cannot use RDMA ("" when it can)
  rdma_fallback_config rdma_config;  // options.rdma_fallback with mode and min_rdma_bytes
  mutable std::mutex rdma_mutex;     // guards rdma_rails and the rails
  std::map<std::string, std::unique_ptr<detail::rdma_rail>, std::less<>> rdma_rails;  // by node
  std::shared_ptr<rdma_connector> rdma_connector_;
  std::shared_ptr<detail::rdma_memory_registry> rdma_memory =
      std::make_shared<detail::rdma_memory_registry>();
  // rdma_register_mappings: ranges found not eligible (bounded).
  std::mutex mapping_mutex;
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> mappings_refused;
  // Runs the blocking RDMA calls (rdma_connect, ibv_reg_mr) off the io threads.
  asio::thread_pool rdma_blocking{1};

  // Direct routing: null unless options.cluster_routing.
  std::unique_ptr<detail::cluster_router> router;
  std::atomic<std::chrono::steady_clock::rep> next_map_attempt{0};
  mutable std::mutex routing_mutex;  // guards routing_note
  std::string routing_note;          // why requests are not routed to nodes ("" when they are)

  std::mutex rng_mutex;
  std::mt19937_64 rng;
  std::vector<std::thread> threads;
};

}  // namespace kvgate::sdk
