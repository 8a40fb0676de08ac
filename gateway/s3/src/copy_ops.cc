// CopyObject: the source version is pinned by its reader and streamed into a
// put_writer on the blocking pool (no whole-object buffering). Metadata is
// copied (x-amz-metadata-directive: COPY, the default) or taken from the
// request (REPLACE); copying an object onto itself needs REPLACE. The
// x-amz-copy-source-if-* conditions are evaluated against the source.
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>

#include "copy_source.h"
#include "copy_source_check.h"
#include "kvgate/protocol/encoding.h"
#include "kvgate/s3/conditionals.h"
#include "kvgate/s3/object_headers.h"
#include "kvgate/s3/user_directory.h"
#include "kvgate/s3xml/object_documents.h"
#include "object_pump.h"
#include "operations.h"
#include "transfer_operations.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

asio::awaitable<void> async_release(op_context& op, auto& handle) {
  if (handle) co_await op.async_storage([&] { handle.reset(); });
}

}  // namespace

asio::awaitable<erasure::result<erasure::object_info>> async_check_copy_source(
    op_context& op, const copy_source& src, std::optional<s3_failure>& failure) {
  auto bucket = co_await op.async_storage([&] { return op.store().head_bucket(src.bucket); });
  if (!bucket) {
    if (!user_directory::can_read(op.caller, src.bucket, {}))
      failure = s3_failure{s3_error::access_denied, {}};
    co_return bucket.error();
  }
  if (!user_directory::can_read(op.caller, src.bucket, bucket->owner)) {
    failure = s3_failure{s3_error::access_denied, {}};
    co_return erasure::make_error_code(erasure::errc::invalid_argument);
  }
  auto info = co_await op.async_storage([&] { return op.store().head(src.bucket, src.key); });
  if (!info) co_return info.error();
  conditional_headers cond;
  if (op.has_header("x-amz-copy-source-if-match"))
    cond.if_match = op.header("x-amz-copy-source-if-match");
  if (op.has_header("x-amz-copy-source-if-none-match")) {
    cond.if_none_match = op.header("x-amz-copy-source-if-none-match");
  }
  if (op.has_header("x-amz-copy-source-if-modified-since")) {
    cond.if_modified_since = op.header("x-amz-copy-source-if-modified-since");
  }
  if (op.has_header("x-amz-copy-source-if-unmodified-since")) {
    cond.if_unmodified_since = op.header("x-amz-copy-source-if-unmodified-since");
  }
  if (evaluate_read_conditions(cond, info->etag, seconds_from_ns(info->mtime_ns)) !=
      condition_outcome::proceed) {
    failure = s3_failure{s3_error::precondition_failed, {}};
    co_return erasure::make_error_code(erasure::errc::precondition_failed);
  }
  co_return info;
}

asio::awaitable<void> async_copy_object(op_context& op) {
  auto src = parse_copy_source(op.header("x-amz-copy-source"));
  if (!src) co_return co_await op.async_fail(src.error());
  const std::string directive =
      boost::algorithm::to_upper_copy(std::string(op.header("x-amz-metadata-directive")));
  if (!directive.empty() && directive != "COPY" && directive != "REPLACE") {
    co_return co_await op.async_fail(s3_error::invalid_argument, "Unknown metadata directive.");
  }
  const bool replace = directive == "REPLACE";
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;
  if (src->bucket == bucket && src->key == key && !replace) {
    co_return co_await op.async_fail(
        s3_error::invalid_request,
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the "
        "object's metadata, storage class, website redirect location or encryption attributes.");
  }

  std::optional<s3_failure> failure;
  auto source = co_await async_check_copy_source(op, *src, failure);
  if (failure) co_return co_await op.async_fail(*failure);
  if (!source) co_return co_await op.async_fail(source.error());
  if (source->size > kMaxSinglePutBytes) {
    co_return co_await op.async_fail(s3_error::invalid_request,
                                     "The specified copy source is larger than the maximum "
                                     "allowable size for a copy source: 5368709120");
  }

  erasure::put_options options;
  options.size = source->size;
  options.attrs = replace ? attrs_from_headers(op.ctx.header()) : source->attrs;
  options.attrs.owner = op.caller.access_key;
  if (user_metadata_bytes(options.attrs) > kMaxUserMetadataBytes) {
    co_return co_await op.async_fail(s3_error::metadata_too_large);
  }
  // The copy is a single-part object: a checksum is recomputed as FULL_OBJECT
  // with the requested algorithm, else the source's.
  std::optional<protocol::checksum_algorithm> algorithm;
  if (op.has_header("x-amz-checksum-algorithm")) {
    algorithm = protocol::parse_checksum_algorithm(op.header("x-amz-checksum-algorithm"));
    if (!algorithm || *algorithm == protocol::checksum_algorithm::md5) {
      co_return co_await op.async_fail(s3_error::invalid_request,
                                       "Invalid x-amz-checksum-algorithm");
    }
  } else if (!source->checksum.algorithm.empty()) {
    algorithm = protocol::parse_checksum_algorithm(source->checksum.algorithm);
  }

  erasure::commit_conditions conditions;
  if (op.has_header("if-none-match"))
    conditions.if_none_match_star = op.header("if-none-match") == "*";
  if (op.has_header("if-match")) conditions.if_match = std::string(op.header("if-match"));

  auto opened = co_await op.async_storage(
      [&] { return op.store().open_read(src->bucket, src->key, std::nullopt); });
  if (!opened) co_return co_await op.async_fail(opened.error());
  std::unique_ptr<erasure::object_reader> reader = std::move(*opened);
  auto begun = co_await op.async_storage(
      [&] { return op.store().begin_put(bucket, key, std::move(options)); });
  if (!begun) {
    co_await async_release(op, reader);
    co_return co_await op.async_fail(begun.error());
  }
  std::unique_ptr<erasure::put_writer> writer = std::move(*begun);
  auto pumped = co_await async_pump_object(op, *reader, *writer, algorithm);
  co_await async_release(op, reader);
  if (!pumped) {
    co_await async_release(op, writer);
    co_return co_await op.async_fail(pumped.error());
  }
  erasure::s3_checksum checksum;
  if (algorithm && pumped->checksum) {
    checksum = {std::string(protocol::algorithm_name(*algorithm)), "FULL_OBJECT",
                protocol::base64_encode(*pumped->checksum)};
  }
  const std::string etag = "\"" + protocol::hex_encode(pumped->md5) + "\"";
  auto committed =
      co_await op.async_storage([&] { return writer->commit(etag, checksum, conditions); });
  co_await async_release(op, writer);
  if (!committed) co_return co_await op.async_fail(committed.error());

  s3xml::copy_result_document doc{
      committed->mtime_ns, committed->etag, {checksum.algorithm, checksum.value, checksum.type}};
  std::string xml = s3xml::render_copy_object_result(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

}  // namespace kvgate::s3
