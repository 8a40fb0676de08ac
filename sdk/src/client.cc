// client's public face: creation (endpoint, credentials, TLS, threads) and the
// synchronous and future-returning forms of every operation.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "kvgate/sdk/client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include "client_impl.h"

namespace kvgate::sdk {

namespace {

// Runs an operation coroutine on the client's io_context; any exception
// (allocation failure, a bug) becomes an error value.
template <class T>
std::future<result<T>> spawn(client::impl& state, asio::awaitable<result<T>> op) {
  auto guarded = [](client::impl& s,
                    asio::awaitable<result<T>> inner) -> asio::awaitable<result<T>> {
    result<T> r = make_error(sdk_errc::shut_down, "not run");
    try {
      r = co_await std::move(inner);
    } catch (const std::exception& e) {
      r = make_error(sdk_errc::protocol_error, std::string("internal error: ") + e.what());
    }
    co_return s.finish(std::move(r));
  };
  // Each operation runs on its own strand: its parallel workers (multipart
  // parts, ranged GETs, HEAD fan-out) then never resume their parent while it
  // is still starting them on another io thread.
  return asio::co_spawn(asio::make_strand(state.io), guarded(state, std::move(op)),
                        asio::use_future);
}

}  // namespace

result<std::unique_ptr<client>> client::create(client_options options) {
  auto server = parse_endpoint(options.endpoint);
  if (!server) return server.error();
  std::optional<endpoint> connect_to;
  if (options.connect_to) {
    auto c = parse_endpoint(*options.connect_to);
    if (!c) return c.error();
    connect_to = *c;
  }
  auto creds = resolve_credentials(options.auth, process_environment());
  if (!creds) return creds.error();
  if (options.io_threads == 0 || options.parallelism == 0 || options.retry.max_attempts == 0 ||
      options.part_size == 0)
    return make_error(sdk_errc::invalid_argument,
                      "io_threads, parallelism, retry.max_attempts and part_size must be > 0");

  auto state = std::make_unique<impl>(std::move(options));
  state->server = *server;
  state->connect_to = connect_to;
  state->credentials = *creds;
  state->signing = {creds->keys.access_key, creds->keys.secret_key, creds->keys.session_token,
                    creds->region, "s3"};
  if (state->server.tls) {
    boost::system::error_code ec;
    if (state->options.verify_tls) {
      state->tls.set_verify_mode(asio::ssl::verify_peer);
      if (!state->options.ca_file.empty()) {
        state->tls.load_verify_file(state->options.ca_file, ec);
      } else {
        state->tls.set_default_verify_paths(ec);
      }
      if (ec)
        return make_error(sdk_errc::tls_failed, "cannot load CA certificates: " + ec.message());
    } else {
      state->tls.set_verify_mode(asio::ssl::verify_none);
    }
  }
  state->pool = std::make_unique<detail::connection_pool>(
      state->io.get_executor(), &state->tls, state->server.tls, state->options.connect_timeout,
      state->options.pool_size);
  if (state->options.cluster_routing) {
    if (state->options.node_bypass.count() <= 0 || state->options.map_refresh.count() <= 0)
      return make_error(sdk_errc::invalid_argument, "node_bypass and map_refresh must be > 0");
    state->router = std::make_unique<detail::cluster_router>(state->options.node_bypass);
  }
  state->rdma_connector_ =
      state->options.rdma_connector ? state->options.rdma_connector : make_verbs_connector();
  if (state->options.rdma != rdma_mode::off) {
    state->rdma_unused_reason = state->rdma_connector_->unavailable_reason();
    state->rdma_device_present = state->rdma_unused_reason.empty();
  }
  for (unsigned i = 0; i < state->options.io_threads; ++i)
    state->threads.emplace_back([s = state.get()] { s->io.run(); });
  return std::unique_ptr<client>(new client(std::move(state)));
}

client::client(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
client::~client() = default;

const std::string& client::credentials_source() const noexcept {
  return impl_->credentials.source;
}

std::future<result<put_result>> client::async_put(std::string bucket, std::string key,
                                                  std::span<const std::byte> data,
                                                  put_options opts) {
  return spawn(*impl_, impl_->async_put(std::move(bucket), std::move(key), data, std::move(opts)));
}

std::future<result<get_result>> client::async_get(std::string bucket, std::string key,
                                                  std::span<std::byte> buffer,
                                                  std::optional<byte_range> range) {
  return spawn(*impl_, impl_->async_get(std::move(bucket), std::move(key), buffer, range));
}

std::future<result<object_info>> client::async_head(std::string bucket, std::string key) {
  return spawn(*impl_, impl_->async_head(std::move(bucket), std::move(key)));
}

std::future<result<void>> client::async_remove(std::string bucket, std::string key) {
  return spawn(*impl_, impl_->async_remove(std::move(bucket), std::move(key)));
}

result<put_result> client::put(std::string_view bucket, std::string_view key,
                               std::span<const std::byte> data, const put_options& opts) {
  return async_put(std::string(bucket), std::string(key), data, opts).get();
}

result<get_result> client::get(std::string_view bucket, std::string_view key,
                               std::span<std::byte> buffer, std::optional<byte_range> range) {
  return async_get(std::string(bucket), std::string(key), buffer, range).get();
}

result<object_info> client::head(std::string_view bucket, std::string_view key) {
  return async_head(std::string(bucket), std::string(key)).get();
}

result<bool> client::exists(std::string_view bucket, std::string_view key) {
  auto info = head(bucket, key);
  if (info) return true;
  if (info.error().http_status == 404) return false;
  return info.error();
}

result<std::vector<bool>> client::exists_batch(std::string_view bucket,
                                               const std::vector<std::string>& keys) {
  return spawn(*impl_, impl_->async_exists_batch(std::string(bucket), keys)).get();
}

result<void> client::remove(std::string_view bucket, std::string_view key) {
  return async_remove(std::string(bucket), std::string(key)).get();
}

result<void> client::create_bucket(std::string_view bucket) {
  return spawn(*impl_, impl_->async_create_bucket(std::string(bucket))).get();
}

object_lister client::list(std::string_view bucket, std::string_view prefix,
                           std::string_view delimiter, unsigned page_size) {
  return object_lister(this, std::string(bucket), std::string(prefix), std::string(delimiter),
                       page_size == 0 ? 1000 : page_size);
}

object_lister::object_lister(client* owner, std::string bucket, std::string prefix,
                             std::string delimiter, unsigned page_size)
    : owner_(owner),
      bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      delimiter_(std::move(delimiter)),
      page_size_(page_size) {}

result<list_page> object_lister::next() {
  if (done_) return list_page{};
  auto& state = *owner_->impl_;
  auto page =
      spawn(state, state.async_list_page(bucket_, prefix_, delimiter_, token_, page_size_)).get();
  if (!page) return page.error();
  if (page->truncated) {
    token_ = page->next_token;
  } else {
    done_ = true;
  }
  return std::move(page->page);
}

result<registered_memory> client::register_memory(void* ptr, std::size_t len) {
  if (ptr == nullptr || len == 0)
    return make_error(sdk_errc::invalid_argument, "register_memory: empty region");
  if (impl_->options.rdma == rdma_mode::off)
    return make_error(sdk_errc::rdma_unavailable, "register_memory: the client has rdma=off");
  if (!impl_->rdma_device_present)
    return make_error(sdk_errc::rdma_unavailable, "register_memory: " + impl_->rdma_unused_reason);
  const std::span<std::byte> bytes(static_cast<std::byte*>(ptr), len);
  return registered_memory(impl_->rdma_memory, impl_->rdma_memory->add(bytes), bytes);
}

namespace {

// What carries bytes and why, e.g. "rdma (rc1, listener 192.0.2.1:7471) +
// tcp below 262144 bytes" or "tcp (no RDMA device on this host)".
std::string describe_transport(const client::impl& state, path_state path,
                               const std::string& last_change) {
  const std::string plain = state.server.tls ? "tls" : "tcp";
  if (state.options.rdma == rdma_mode::off) return plain + " (rdma off)";
  if (!state.rdma_device_present) return plain + " (" + state.rdma_unused_reason + ")";
  if (state.rdma_memory->empty()) return plain + " (no memory registered for RDMA)";
  if (state.routing_directly()) return plain + " (routed directly to cluster nodes: no RDMA)";
  switch (path) {
    case path_state::unknown:
      return plain + " (RDMA not tried yet)";
    case path_state::supported: {
      std::string s = "rdma (rc1";
      if (state.rdma_listener)
        s += ", listener " + state.rdma_listener->address + ":" +
             std::to_string(state.rdma_listener->port);
      const auto floor = std::max(state.options.min_rdma_bytes, state.rdma.limits().min_rdma_bytes);
      return s + ") + " + plain + " below " + std::to_string(floor) + " bytes";
    }
    case path_state::unsupported:
      return plain + " (server does not offer RDMA: " + last_change + ")";
    case path_state::degraded:
      return plain + " (RDMA path degraded: " + last_change + ")";
  }
  return plain;
}

}  // namespace

client_stats client::stats() const {
  const auto& c = impl_->counters;
  client_stats s;
  s.requests = c.requests;
  s.operations = c.operations;
  s.errors = c.errors;
  s.retries = c.retries;
  s.bytes_sent = c.bytes_sent;
  s.bytes_received = c.bytes_received;
  s.connections_opened = c.connections_opened;
  s.connections_reused = c.connections_reused;
  s.checksums_verified = c.checksums_verified;
  s.checksum_mismatches = c.checksum_mismatches;
  s.multipart_uploads = c.multipart_uploads;
  s.ranged_gets = c.ranged_gets;
  s.routed_direct = c.routed_direct;
  s.rerouted = c.rerouted;
  s.node_bypasses = c.node_bypasses;
  s.map_fetches = c.map_fetches;
  s.map_mismatches = c.map_mismatches;
  s.routing = impl_->describe_routing();
  s.mode = impl_->options.rdma;
  {
    std::lock_guard lock(impl_->rdma_mutex);
    s.rdma_state = impl_->rdma.state();
    s.rdma = impl_->rdma.counters();
    s.transport = describe_transport(*impl_, s.rdma_state, impl_->rdma_last_change);
  }
  return s;
}

}  // namespace kvgate::sdk
