// client's public face: creation (endpoint, credentials, TLS, threads) and the
// synchronous and future-returning forms of every operation.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "kvgate/sdk/client.h"

#include <algorithm>
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
  state->slots = std::make_unique<detail::request_slots>(state->io.get_executor(),
                                                         state->options.max_requests_in_flight);
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

// A rail's transport, e.g. "rdma (rc1, listener 192.0.2.1:7471) + tcp below
// 262144 bytes" or "tcp (server does not offer RDMA: ...)".
std::string describe_rail(const client::impl& state, const detail::rdma_rail& rail,
                          const std::string& plain) {
  switch (rail.path.state()) {
    case path_state::unknown:
      return plain + " (RDMA not tried yet)";
    case path_state::supported: {
      std::string s = "rdma (rc1";
      if (rail.listener)
        s += ", listener " + rail.listener->address + ":" + std::to_string(rail.listener->port);
      const auto floor = std::max(state.options.min_rdma_bytes, rail.path.limits().min_rdma_bytes);
      return s + ") + " + plain + " below " + std::to_string(floor) + " bytes";
    }
    case path_state::unsupported:
      return plain + " (server does not offer RDMA: " + rail.last_change + ")";
    case path_state::degraded:
      return plain + " (RDMA path degraded: " + rail.last_change + ")";
  }
  return plain;
}

// What carries bytes and why (under rdma_mutex): the one node's transport,
// or with direct cluster routing, e.g. "rdma on 3 of 3 nodes (...)".
std::string describe_transport(const client::impl& state) {
  const std::string plain = state.server.tls ? "tls" : "tcp";
  if (state.options.rdma == rdma_mode::off) return plain + " (rdma off)";
  if (!state.rdma_device_present) return plain + " (" + state.rdma_unused_reason + ")";
  if (state.rdma_memory->empty()) return plain + " (no memory registered for RDMA)";
  if (!state.routing_directly()) {
    auto it = state.rdma_rails.find(state.options.endpoint);
    if (it == state.rdma_rails.end()) return plain + " (RDMA not tried yet)";
    return describe_rail(state, *it->second, plain);
  }
  std::vector<const detail::rdma_rail*> tried;
  for (const auto& [node, rail] : state.rdma_rails)
    if (rail->path.state() != path_state::unknown) tried.push_back(rail.get());
  if (tried.empty()) return plain + " (RDMA not tried yet with the cluster's nodes)";
  const auto on_rdma = std::count_if(tried.begin(), tried.end(), [](const detail::rdma_rail* r) {
    return r->path.state() == path_state::supported;
  });
  std::string s = (on_rdma ? "rdma on " : plain + ", no RDMA on ") + std::to_string(on_rdma) +
                  " of " + std::to_string(tried.size()) + " cluster nodes tried:";
  for (const auto* rail : tried)
    s += " [" + rail->node + ": " + describe_rail(state, *rail, plain) + "]";
  return s;
}

// The rails' states as one: supported when any node's path is (RDMA is in
// use), else the most telling of the others.
path_state overall_state(const client::impl& state) {
  bool any_unsupported = false, any_degraded = false;
  for (const auto& [node, rail] : state.rdma_rails) {
    switch (rail->path.state()) {
      case path_state::supported:
        return path_state::supported;
      case path_state::degraded:
        any_degraded = true;
        break;
      case path_state::unsupported:
        any_unsupported = true;
        break;
      case path_state::unknown:
        break;
    }
  }
  return any_degraded      ? path_state::degraded
         : any_unsupported ? path_state::unsupported
                           : path_state::unknown;
}

void add_counters(rdma_path_counters& sum, const rdma_path_counters& c) {
  sum.rdma_ops += c.rdma_ops;
  sum.rdma_bytes += c.rdma_bytes;
  for (std::size_t i = 0; i < sum.declines.size(); ++i) sum.declines[i] += c.declines[i];
  for (std::size_t i = 0; i < sum.ineligible.size(); ++i) sum.ineligible[i] += c.ineligible[i];
  sum.fallbacks += c.fallbacks;
  sum.failures += c.failures;
  sum.fences += c.fences;
  sum.session_retries += c.session_retries;
  sum.discoveries += c.discoveries;
  sum.state_changes += c.state_changes;
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
    s.rdma_state = overall_state(*impl_);
    for (const auto& [node, rail] : impl_->rdma_rails) add_counters(s.rdma, rail->path.counters());
    s.rdma_nodes = impl_->rdma_rails.size();
    s.transport = describe_transport(*impl_);
  }
  return s;
}

}  // namespace kvgate::sdk
