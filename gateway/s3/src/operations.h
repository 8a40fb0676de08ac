// Internal to kvgate::gateway: the per-request context every S3 operation
// receives, and one declaration per operation. Each operation group lives in
// its own file (bucket_ops.cc, object_put.cc, object_get.cc, object_delete.cc;
// multipart, listing, copy and DeleteObjects in theirs) and produces exactly
// one response through the helpers of response.h.
//
// Lifetime: an op_context lives on the handler's coroutine frame for one
// request; everything it references outlives it. Strand affinity: use it
// from the request coroutine only; storage calls go through async_storage().
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "kvgate/erasure/store.h"
#include "kvgate/gateway/request_handler.h"
#include "kvgate/s3/body_pipeline.h"
#include "kvgate/s3/operation.h"
#include "kvgate/s3/response.h"
#include "kvgate/s3/s3_request.h"
#include "kvgate/s3/s3_service.h"
#include "kvgate/s3/storage_errors.h"

namespace kvgate::s3 {

struct op_context {
  gateway::request_context& ctx;
  s3_request& req;
  const s3_service& service;
  const user& caller;
  operation op = operation::not_implemented;
  // The addressed bucket, looked up by the handler for bucket-scoped
  // operations (empty for ListBuckets, CreateBucket and root's object reads).
  std::optional<erasure::bucket_info> bucket;

  erasure::store& store() const noexcept { return *service.store; }

  // Runs a blocking storage call on the blocking pool.
  template <class F>
  auto async_storage(F fn) const {
    return gateway::async_run_blocking(*service.blocking_pool, std::move(fn));
  }

  // store().head() without a thread hand-off when the index answers from
  // memory (the usual case); otherwise on the blocking pool.
  asio::awaitable<erasure::result<erasure::object_info>> async_head(std::string bucket_name,
                                                                    std::string key) const {
    auto cached = store().head_cached(bucket_name, key);
    if (cached || cached.error() != erasure::errc::would_block) co_return cached;
    co_return co_await async_storage([&] { return store().head(bucket_name, key); });
  }

  // Error responses with <Resource> = /bucket/key.
  asio::awaitable<void> async_fail(protocol::s3_error e, std::string_view message = {},
                                   http::fields extra = {}) const {
    return async_send_error(ctx, e, std::string(message), req.resource(), std::move(extra));
  }
  asio::awaitable<void> async_fail(const s3_failure& f) const {
    return async_send_error(ctx, f.error, f.message, req.resource());
  }
  asio::awaitable<void> async_fail(const std::error_code& ec) const {
    return async_send_error(ctx, s3_error_for(ec), {}, req.resource());
  }

  // Header value or empty.
  std::string_view header(std::string_view name) const {
    auto it = ctx.header().find(name);
    return it == ctx.header().end() ? std::string_view() : std::string_view(it->value());
  }
  bool has_header(std::string_view name) const {
    return ctx.header().find(name) != ctx.header().end();
  }
};

// bucket_ops.cc
asio::awaitable<void> async_list_buckets(op_context& op);
asio::awaitable<void> async_create_bucket(op_context& op);
asio::awaitable<void> async_delete_bucket(op_context& op);
asio::awaitable<void> async_head_bucket(op_context& op);
asio::awaitable<void> async_get_bucket_location(op_context& op);
// object_put.cc
asio::awaitable<void> async_put_object(op_context& op);
// object_get.cc (GetObject and HeadObject)
asio::awaitable<void> async_get_object(op_context& op);
// object_delete.cc
asio::awaitable<void> async_delete_object(op_context& op);
// rdma_endpoints.cc: /.rdma/v1/capabilities and /.rdma/v1/sessions[/{id}]
asio::awaitable<void> async_rdma_endpoint(op_context& op);
// object_tagging.cc
asio::awaitable<void> async_get_object_tagging(op_context& op);

}  // namespace kvgate::s3
