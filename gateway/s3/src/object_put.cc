// PutObject: every check that can fail without the body runs before the
// first body read (so a client sending "Expect: 100-continue" gets the final
// status instead of "100 Continue"); then the body streams through the
// pipeline (aws-chunked decoding, digests) into the engine's put_writer in
// whole buffers, socket reads overlapping engine writes (body_upload.h), and
// the object is committed only when every digest the client claimed matched.
// g++ 12 at -O2 with ASan inlines Asio's coroutine frame allocator
// (aligned_alloc) and its sized operator delete and reports a false
// -Wmismatched-new-delete at the end of coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <boost/algorithm/string/case_conv.hpp>

#include "body_upload.h"
#include "kvgate/protocol/encoding.h"
#include "kvgate/s3/conditionals.h"
#include "kvgate/s3/object_headers.h"
#include "operations.h"
#include "rdma_upload.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

std::string quoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return std::string(etag);
  return "\"" + std::string(etag) + "\"";
}

// Destroys the writer (discarding uncommitted bytes) on the blocking pool.
asio::awaitable<void> async_discard(op_context& op, std::unique_ptr<erasure::put_writer>& w) {
  if (w) co_await op.async_storage([&] { w.reset(); });
}

}  // namespace

asio::awaitable<void> async_put_object(op_context& op) {
  const auto& header = op.ctx.header();
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;

  auto plan = plan_body(op.req, header, op.ctx.content_length());
  if (!plan) co_return co_await op.async_fail(plan.error());
  auto rdma = read_rdma_ask(op);
  if (!rdma) co_return co_await op.async_fail(rdma.error());
  std::optional<rdma::rdma_transfer> transfer;
  if (*rdma) {
    // Declines answer before anything is created (docs/rdma-protocol.md §7.2).
    auto bytes = plan_rdma_upload(op, *plan);
    if (!bytes) co_return co_await op.async_fail(bytes.error());
    if (*bytes > kMaxSinglePutBytes) co_return co_await op.async_fail(s3_error::entity_too_large);
    transfer = admit_rdma_transfer(op, **rdma, rdma::transfer_direction::read_from_client, *bytes);
    if (!transfer) co_return co_await async_send_rdma_decline(op, *(*rdma)->decline);
  }
  if (plan->decoded_length && *plan->decoded_length > kMaxSinglePutBytes) {
    co_return co_await op.async_fail(s3_error::entity_too_large);
  }

  erasure::put_options options;
  options.size = plan->decoded_length;
  options.attrs = attrs_from_headers(header);
  options.attrs.owner = op.caller.access_key;
  if (user_metadata_bytes(options.attrs) > kMaxUserMetadataBytes) {
    co_return co_await op.async_fail(s3_error::metadata_too_large);
  }

  erasure::commit_conditions conditions;
  if (op.has_header("if-none-match")) {
    if (op.header("if-none-match") != "*") {
      co_return co_await op.async_fail(s3_error::not_implemented,
                                       "If-None-Match on PUT supports only \"*\"");
    }
    conditions.if_none_match_star = true;
  }
  if (op.has_header("if-match")) conditions.if_match = quoted(op.header("if-match"));
  if (conditions.if_none_match_star || conditions.if_match) {
    // Early answer without reading the body; commit re-checks atomically.
    auto current = co_await op.async_head(bucket, key);
    if (current && conditions.if_none_match_star) {
      co_return co_await op.async_fail(s3_error::precondition_failed);
    }
    if (conditions.if_match) {
      if (!current) co_return co_await op.async_fail(current.error());
      if (!etag_list_matches(*conditions.if_match, current->etag)) {
        co_return co_await op.async_fail(s3_error::precondition_failed);
      }
      conditions.if_match = current->etag;
    }
  }

  auto begun = co_await op.async_storage(
      [&] { return op.store().begin_put(bucket, key, std::move(options)); });
  if (!begun) co_return co_await op.async_fail(begun.error());
  std::unique_ptr<erasure::put_writer> writer = std::move(*begun);

  body_pipeline pipeline(op.ctx, op.req, *plan, op.service.body_buffer_bytes);
  body_digests digests(*plan, op.service.etags.style_for(bucket));
  // Two statements, not `?:` around co_await: g++ 12 frees the result early.
  std::optional<upload_failure> failed;
  if (transfer)
    failed = co_await async_upload_rdma(op, *transfer, digests, *writer);
  else
    failed = co_await async_upload_body(op, pipeline, digests, *writer);
  if (failed) {
    co_await async_discard(op, writer);
    if (failed->failure.error == s3_error::rdma_transfer_failed)
      co_return co_await async_send_rdma_failure(op);
    co_return co_await op.async_fail(failed->failure);
  }
  digests.finish();
  auto checksum = pipeline.finish(digests);
  if (!checksum) {
    co_await async_discard(op, writer);
    co_return co_await op.async_fail(checksum.error());
  }

  const std::string etag = digests.etag();
  const erasure::s3_checksum stored = *checksum;
  auto committed =
      co_await op.async_storage([&] { return writer->commit(etag, stored, conditions); });
  co_await async_discard(op, writer);
  if (!committed) co_return co_await op.async_fail(committed.error());

  http::fields h;
  h.set(http::field::etag, committed->etag);
  if (transfer) set_rdma_success_headers(h, rdma::reply_value::ok, digests.bytes());
  if (!stored.algorithm.empty()) {
    std::string name = "x-amz-checksum-" + boost::algorithm::to_lower_copy(stored.algorithm);
    h.set(name, stored.value);
    h.set("x-amz-checksum-type", stored.type);
  }
  co_await async_send_empty(op.ctx, http::status::ok, std::move(h));
}

}  // namespace kvgate::s3
