// kvgate::sdk::client — the S3 client inference engines link to reach kvgate
// (docs/sdk.md). Works against any S3 server; uses kvgate's extensions where
// present.
//
// Memory: every object operation works on caller-owned memory. put() sends
// the caller's span as the body (no copy); get() receives the body straight
// into the caller's span (no intermediate buffer). The span must stay valid
// until the call returns, or for the async_* forms until the future is ready.
//
// Threads: the client owns an io_context run by `io_threads` threads and a
// keep-alive connection pool. All methods are thread-safe; the synchronous
// forms block the calling thread (never call them from a completion of the
// same client). Destroying the client waits for the operations in flight.
//
// Errors are values (result<T>, error.h); no exception crosses this API.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/sdk/credentials.h"
#include "kvgate/sdk/endpoint.h"
#include "kvgate/sdk/error.h"
#include "kvgate/sdk/rdma_fallback.h"
#include "kvgate/sdk/rdma_link.h"
#include "kvgate/sdk/registered_memory.h"
#include "kvgate/sdk/retry_policy.h"
#include "kvgate/sdk/stats.h"

namespace kvgate::sdk {

struct client_options {
  std::string endpoint = "http://127.0.0.1:9000";
  addressing_style addressing = addressing_style::path;
  std::optional<std::string> connect_to;  // "http(s)://host:port" to dial instead (tests)
  credential_options auth;

  // TLS: verify the server certificate against these (system store when empty).
  std::string ca_file;
  bool verify_tls = true;

  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{60000};  // one attempt, head to last byte
  retry_options retry;

  unsigned io_threads = 2;
  unsigned pool_size = 32;   // idle keep-alive connections kept
  unsigned parallelism = 8;  // parts/ranges/HEADs in flight for one multipart/ranged/batch call
  // HTTP requests in flight to one server (each node, when routing), 0 for
  // no cap. A request past the cap waits for one to finish. The default
  // keeps a client at concurrency 32 from sending 128 parts at once into a
  // gateway whose write path is bound by its disks (docs/sdk.md "Requests
  // in flight").
  unsigned max_requests_in_flight = 12;

  std::uint64_t part_size = 8ull << 20;                // multipart part and parallel-range size
  std::uint64_t multipart_threshold = 16ull << 20;     // put() above this uses multipart
  std::uint64_t parallel_get_threshold = 16ull << 20;  // get() into a buffer above this: ranges

  rdma_mode rdma = rdma_mode::automatic;
  std::uint64_t min_rdma_bytes = 256 * 1024;
  // For callers that cannot call register_memory() (LMCache's connectors
  // hand over buffers from LMCache's own pool): an RDMA-eligible buffer that
  // is not registered makes the client register the whole anonymous
  // read-write mapping holding it (/proc/self/maps), once, and keep it
  // registered for the client's life. Only for pools that stay mapped as
  // long as the client: a mapping unmapped and mapped again at the same
  // address would leave a stale registration (the CRC32C checks of every
  // RDMA PUT and GET then fail the transfer; bytes are never stored or
  // returned wrong). Heap, stack and file mappings are never registered.
  bool rdma_register_mappings = false;
  rdma_fallback_config rdma_fallback;  // TTL and cool-downs (mode and min size come from above)
  // Client side of RDMA sessions; null: the verbs one (make_verbs_connector()).
  // Tests inject fakes here.
  std::shared_ptr<sdk::rdma_connector> rdma_connector;

  // Scale-out (docs/scaling.md "SDK direct routing"): read the cluster map
  // (GET /.kvgate/v1/cluster) from `endpoint` — a node, or the proxy in front
  // of the cluster — and send every object request straight to the node
  // that owns its key on the ring, the node the shipped nginx and HAProxy
  // configurations pick. Bucket requests (create, list) and the keys of a
  // node that cannot be reached go to `endpoint`; an unreachable node is
  // bypassed for node_bypass. Routed requests carry the map version: a node
  // with another map answers 421 ClusterMapMismatch, and the client fetches
  // the map again and retries once. The map is also refetched every
  // map_refresh. Requests to nodes use path style. RDMA transfers go to the
  // owning node too, over a session with that node (one per node, every
  // registered region registered with each); the keys of a bypassed node go
  // to `endpoint` over TCP/TLS. create_bucket() creates the bucket on every active member. Without
  // a map (the endpoint is no cluster member), everything goes to `endpoint`.
  bool cluster_routing = false;
  std::chrono::milliseconds node_bypass{10000};
  std::chrono::milliseconds map_refresh{30000};
};

struct put_options {
  bool if_none_match = false;  // If-None-Match: * (412 PreconditionFailed when the key exists)
  std::string content_type = "application/octet-stream";
};

struct put_result {
  std::string etag;
  bool multipart = false;
  unsigned parts = 1;
};

struct byte_range {
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;  // nullopt: to the end of the object
};

struct get_result {
  std::uint64_t bytes = 0;        // bytes written at the start of the caller's span
  std::uint64_t object_size = 0;  // whole object size (from Content-Length/Content-Range)
  std::string etag;
  bool checksum_verified = false;  // the server sent a whole-object CRC32C and it matched
  unsigned ranges = 1;             // requests the GET was split into
};

struct object_info {
  std::uint64_t size = 0;
  std::string etag;
  std::string last_modified;
  std::string content_type;
  std::string checksum_crc32c;  // when the server returns one
};

struct list_entry {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::string last_modified;
};

struct list_page {
  std::vector<list_entry> entries;
  std::vector<std::string> common_prefixes;
};

class client;

// ListObjectsV2 pages, fetched one request per next() (continuation tokens).
class object_lister {
 public:
  // The next page; an empty page with done() true at the end.
  [[nodiscard]] result<list_page> next();
  bool done() const noexcept { return done_; }

 private:
  friend class client;
  object_lister(client* owner, std::string bucket, std::string prefix, std::string delimiter,
                unsigned page_size);
  client* owner_;
  std::string bucket_, prefix_, delimiter_, token_;
  unsigned page_size_;
  bool done_ = false;
};

class client {
 public:
  // Errors: invalid_endpoint, no_credentials, credentials_file, invalid_argument.
  [[nodiscard]] static result<std::unique_ptr<client>> create(client_options options);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // PutObject (multipart with parallel parts above multipart_threshold), with
  // x-amz-checksum-crc32c on the object or every part.
  [[nodiscard]] result<put_result> put(std::string_view bucket, std::string_view key,
                                       std::span<const std::byte> data,
                                       const put_options& opts = {});
  // GetObject into `buffer`. Without a range, objects larger than the buffer
  // fail with buffer_too_small; large buffers are filled by parallel ranges.
  [[nodiscard]] result<get_result> get(std::string_view bucket, std::string_view key,
                                       std::span<std::byte> buffer,
                                       std::optional<byte_range> range = {});
  [[nodiscard]] result<object_info> head(std::string_view bucket, std::string_view key);
  // HEAD: true (200) / false (404); other answers are errors.
  [[nodiscard]] result<bool> exists(std::string_view bucket, std::string_view key);
  // Parallel HEADs (`parallelism` in flight), one bool per key in order.
  [[nodiscard]] result<std::vector<bool>> exists_batch(std::string_view bucket,
                                                       const std::vector<std::string>& keys);
  // DeleteObject (204 also when the key does not exist, as S3).
  [[nodiscard]] result<void> remove(std::string_view bucket, std::string_view key);
  [[nodiscard]] result<void> create_bucket(std::string_view bucket);
  object_lister list(std::string_view bucket, std::string_view prefix = {},
                     std::string_view delimiter = {}, unsigned page_size = 1000);

  // Asynchronous forms: start now, many in flight at once (bounded by the
  // server and the pool, not by threads). Buffers must outlive the future.
  std::future<result<put_result>> async_put(std::string bucket, std::string key,
                                            std::span<const std::byte> data, put_options opts = {});
  std::future<result<get_result>> async_get(std::string bucket, std::string key,
                                            std::span<std::byte> buffer,
                                            std::optional<byte_range> range = {});
  std::future<result<object_info>> async_head(std::string bucket, std::string key);
  std::future<result<void>> async_remove(std::string bucket, std::string key);

  // Registers caller memory for the RDMA fast path (registered_memory.h):
  // GETs into and PUTs from buffers inside it may then move over RDMA.
  // Errors: invalid_argument (empty), rdma_unavailable (rdma=off, or no RDMA
  // device / verbs libraries on this host: the client then stays on TCP and
  // stats().transport says why).
  [[nodiscard]] result<registered_memory> register_memory(void* ptr, std::size_t len);
  [[nodiscard]] result<registered_memory> register_memory(std::span<std::byte> memory) {
    return register_memory(memory.data(), memory.size());
  }

  client_stats stats() const;
  const std::string& credentials_source() const noexcept;

  struct impl;

 private:
  friend class object_lister;
  explicit client(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace kvgate::sdk
