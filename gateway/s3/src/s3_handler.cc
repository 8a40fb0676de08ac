// g++ 12 at -O2 with ASan inlines Asio's coroutine frame allocator
// (aligned_alloc) and its sized operator delete and reports a false
// -Wmismatched-new-delete at the end of coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "kvgate/s3/s3_handler.h"

#include <spdlog/spdlog.h>

#include "cache_operations.h"
#include "cluster_endpoint.h"
#include "kvgate/protocol/uri.h"
#include "kvgate/protocol/utf8.h"
#include "kvgate/s3/addressing.h"
#include "kvgate/s3/authenticator.h"
#include "operations.h"
#include "transfer_operations.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

asio::awaitable<void> dispatch(op_context& op) {
  switch (op.op) {
    case operation::list_buckets:
      return async_list_buckets(op);
    case operation::create_bucket:
      return async_create_bucket(op);
    case operation::delete_bucket:
      return async_delete_bucket(op);
    case operation::head_bucket:
      return async_head_bucket(op);
    case operation::get_bucket_location:
      return async_get_bucket_location(op);
    case operation::put_object:
      return async_put_object(op);
    case operation::get_object:
    case operation::head_object:
      return async_get_object(op);
    case operation::delete_object:
      return async_delete_object(op);
    case operation::list_objects:
      return async_list_objects(op);
    case operation::list_object_versions:
      return async_list_object_versions(op);
    case operation::list_multipart_uploads:
      return async_list_multipart_uploads(op);
    case operation::delete_objects:
      return async_delete_objects(op);
    case operation::batch_exists:
      return async_batch_exists(op);
    case operation::copy_object:
      return async_copy_object(op);
    case operation::create_multipart_upload:
      return async_create_multipart_upload(op);
    case operation::upload_part:
      return async_upload_part(op);
    case operation::upload_part_copy:
      return async_upload_part_copy(op);
    case operation::complete_multipart_upload:
      return async_complete_multipart_upload(op);
    case operation::abort_multipart_upload:
      return async_abort_multipart_upload(op);
    case operation::list_parts:
      return async_list_parts(op);
    case operation::get_object_tagging:
      return async_get_object_tagging(op);
    case operation::get_bucket_lifecycle:
      return async_get_bucket_lifecycle(op);
    case operation::put_bucket_lifecycle:
      return async_put_bucket_lifecycle(op);
    case operation::delete_bucket_lifecycle:
      return async_delete_bucket_lifecycle(op);
    case operation::method_not_allowed:
      return op.async_fail(s3_error::method_not_allowed);
    default:
      return op.async_fail(s3_error::not_implemented,
                           "A header you provided implies functionality that is not implemented.");
  }
}

// Does the handler look the bucket up before dispatch? Not for ListBuckets and
// CreateBucket, and not for root's object reads (the engine reports a missing
// bucket itself; this keeps HEAD/GET at one storage hop).
bool needs_bucket_lookup(operation op, const user& caller) {
  if (op == operation::list_buckets || op == operation::create_bucket) return false;
  if (required_access(op) == access::none) return false;
  if (caller.root && (op == operation::get_object || op == operation::head_object)) return false;
  return true;
}

bool allowed(const user& u, access need, std::string_view bucket, std::string_view owner) {
  switch (need) {
    case access::none:
      return true;
    case access::read:
      return user_directory::can_read(u, bucket, owner);
    case access::write:
      return user_directory::can_write(u, bucket, owner);
  }
  return false;
}

}  // namespace

asio::awaitable<void> s3_handler::async_handle(gateway::request_context& ctx) {
  const s3_service& svc = *service_;
  const auto& header = ctx.header();
  s3_request req;
  req.method = std::string(header.method_string());
  req.request_id = std::string(ctx.request_id());

  const auto target = protocol::split_target(header.target());
  req.raw_path = std::string(target.path);
  req.raw_query = std::string(target.query);
  if (req.raw_path.empty() || req.raw_path.front() != '/') {
    co_await async_send_error(ctx, s3_error::invalid_argument, "Invalid request target", "/");
    co_return;
  }
  auto query = protocol::parse_query(target.query);
  if (!query) {
    co_await async_send_error(ctx, s3_error::invalid_argument, "Malformed query string",
                              req.raw_path);
    co_return;
  }
  req.query = std::move(*query);

  const auto host_it = header.find(http::field::host);
  const std::string_view host =
      host_it == header.end() ? std::string_view() : std::string_view(host_it->value());
  auto addr = resolve_address(host, req.raw_path, svc.domains);
  if (!addr) {
    co_await async_send_error(ctx, s3_error::invalid_argument, "Malformed request path",
                              req.raw_path);
    co_return;
  }
  req.bucket = std::move(addr->bucket);
  req.key = std::move(addr->key);
  req.virtual_hosted = addr->virtual_hosted;

  const bool rdma_endpoint = req.bucket == ".rdma" && !req.virtual_hosted;
  const operation routed =
      rdma_endpoint
          ? operation::not_implemented
          : route(route_input{req.method, !req.bucket.empty(), !req.key.empty(), &req.query,
                              header.find("x-amz-copy-source") != header.end()});
  ctx.set_operation(rdma_endpoint ? std::string_view("RdmaEndpoint") : operation_name(routed));

  // This request keeps the users it was authenticated with (SIGHUP reloads).
  const auto users = svc.users.current();
  auto auth = authenticate(header, req, *users, svc.current_time(), &svc.key_cache);
  if (!auth) {
    co_await async_send_error(ctx, auth.error().error, auth.error().message, req.resource());
    co_return;
  }
  const user& caller = *auth->caller;
  req.caller = principal{caller.access_key, caller.root};
  req.auth = auth->kind;
  req.sigv4 = std::move(auth->sigv4);

  op_context op{ctx, req, svc, caller, operation::not_implemented, std::nullopt};
  // Counts a HeadObject or GetObject as a cache hit or miss once it has
  // been answered, whichever way this coroutine ends.
  struct lookup_tally {
    const op_context& op;
    ~lookup_tally() { op.service.lookups.record(op.op, op.ctx.status()); }
  } tally{op};
  if (req.key.size() > kMaxKeyBytes) {
    co_await op.async_fail(s3_error::key_too_long);
    co_return;
  }
  if (!protocol::is_valid_object_key(req.key)) {
    co_await op.async_fail(s3_error::invalid_argument,
                           "Object key must be valid UTF-8 without NUL characters");
    co_return;
  }
  if (rdma_endpoint) {
    co_await async_rdma_endpoint(op);
    co_return;
  }
  const bool kvgate_endpoint = req.bucket == ".kvgate" && !req.virtual_hosted;
  // A request routed with another cluster map is refused (the map itself is
  // always served, so the router can fetch the new one).
  if (!kvgate_endpoint) {
    if (auto refusal = cluster_map_refusal(header, *svc.cluster->current())) {
      co_await op.async_fail(s3_error::cluster_map_mismatch, *refusal);
      co_return;
    }
  }
  if (kvgate_endpoint) {
    ctx.set_operation("KvgateAdmin");
    co_await async_admin_endpoint(op);
    co_return;
  }
  op.op = routed;

  const access need = required_access(op.op);
  if (op.op == operation::create_bucket) {
    if (!user_directory::can_write(caller, req.bucket, {})) {
      co_await op.async_fail(s3_error::access_denied);
      co_return;
    }
  } else if (needs_bucket_lookup(op.op, caller)) {
    const std::string bucket = req.bucket;
    auto info = svc.store->head_bucket_cached(bucket);
    if (!info && info.error() == erasure::errc::would_block)
      info = co_await op.async_storage([&] { return svc.store->head_bucket(bucket); });
    if (!info) {
      // Without a grant the caller learns nothing about the bucket's existence.
      if (!allowed(caller, need, req.bucket, {})) {
        co_await op.async_fail(s3_error::access_denied);
      } else {
        co_await op.async_fail(info.error());
      }
      co_return;
    }
    if (!allowed(caller, need, req.bucket, info->owner)) {
      co_await op.async_fail(s3_error::access_denied);
      co_return;
    }
    op.bucket = std::move(*info);
  } else if (!allowed(caller, need, req.bucket, {})) {
    co_await op.async_fail(s3_error::access_denied);
    co_return;
  }
  co_await dispatch(op);
}

boost::system::result<void, std::string> s3_handler::reload_users(
    const gateway::credentials& root, const std::filesystem::path& credentials_file) const {
  auto users = user_directory::load(root, credentials_file);
  if (!users) return users.error();
  service_->users.replace(std::move(*users));
  return {};
}

boost::system::result<std::unique_ptr<s3_handler>, std::string> make_s3_handler(
    const gateway::server_config& config, const gateway::credentials& root,
    boost::asio::thread_pool& blocking_pool, std::vector<std::shared_ptr<erasure::disk>> disks) {
  auto users = user_directory::load(root, config.credentials_file);
  if (!users) return users.error();
  erasure::store_options options;
  options.disk_paths = config.data_dirs;
  options.disks = std::move(disks);
  auto store = erasure::store::open(std::move(options));
  if (!store) return "cannot open the store: " + store.error().message();
  auto svc = std::make_shared<s3_service>();
  svc->store = std::shared_ptr<erasure::store>(std::move(*store));
  // Cache tier: the kept policy overlaid with the configuration, then the
  // lifecycle/TTL worker (cache_policy.h, lifecycle_worker.h).
  svc->cache_policy = std::make_shared<cache_policy_keeper>(svc->store);
  if (auto policy = install_startup_policy(*svc->cache_policy, config.cache); !policy)
    return "invalid cache settings: " + policy.error();
  lifecycle_options lifecycle;
  lifecycle.interval = config.cache.lifecycle_interval;
  lifecycle.batch = config.cache.lifecycle_batch;
  lifecycle.day_seconds = config.cache.lifecycle_day_seconds;
  lifecycle.abandoned_upload_seconds = config.cache.abandoned_upload_seconds;
  svc->lifecycle = std::make_shared<lifecycle_worker>(svc->store, std::move(lifecycle));
  svc->jobs = std::make_shared<maintenance_jobs>(svc->store);
  svc->blocking_pool = &blocking_pool;
  svc->users.replace(std::move(*users));
  svc->domains = config.domains;
  svc->cluster = std::make_shared<gateway::live_cluster_map>(config.cluster);
  svc->body_buffer_bytes = config.body_buffer_bytes;
  svc->etags = etag_policy::from_config(config);
  if (config.rdma_listen) {
    rdma_settings rs;
    rs.listen_address = config.rdma_listen->host;
    rs.port = config.rdma_listen->port;
    rs.ack_timeout = static_cast<std::uint8_t>(config.rdma_ack_timeout);
    rs.retry_count = static_cast<std::uint8_t>(config.rdma_retry_count);
    rs.staging_chunks = config.rdma_staging_chunks;
    rs.session_ttl = std::chrono::seconds(config.rdma_session_ttl_seconds);
    auto gw = rdma_gateway::start(rs);
    if (gw) {
      svc->rdma = std::move(*gw);
    } else {
      // The same binary runs on hosts without RDMA: requests get not-enabled.
      spdlog::warn("RDMA fast path not enabled: {}", gw.error());
    }
  }
  return std::make_unique<s3_handler>(std::move(svc));
}

}  // namespace kvgate::s3
