// Put/Get/DeleteBucketLifecycleConfiguration. The configuration is parsed
// strictly (s3xml/lifecycle_documents.h), kept with the bucket as a store
// setting (rendered canonically; deleted with the bucket) and applied by the
// lifecycle worker (lifecycle_worker.h).
// g++ 12 at -O2 with ASan inlines Asio's coroutine frame allocator
// (aligned_alloc) and its sized operator delete and reports a false
// -Wmismatched-new-delete at the end of coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "cache_operations.h"
#include "kvgate/s3/lifecycle_worker.h"
#include "kvgate/s3xml/lifecycle_documents.h"
#include "xml_request_body.h"

namespace kvgate::s3 {

using protocol::s3_error;

asio::awaitable<void> async_get_bucket_lifecycle(op_context& op) {
  const std::string name = lifecycle_setting(op.req.bucket);
  auto kept = co_await op.async_storage([&] { return op.store().get_setting(name); });
  if (!kept) co_return co_await op.async_fail(kept.error());
  if (!*kept) co_return co_await op.async_fail(s3_error::no_such_lifecycle_configuration);
  std::string xml = std::move(**kept);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

asio::awaitable<void> async_put_bucket_lifecycle(op_context& op) {
  auto body = co_await async_read_xml_body(op, s3xml::kMaxLifecycleBodyBytes);
  if (!body) co_return co_await op.async_fail(body.error());
  auto config = s3xml::parse_lifecycle_configuration(*body);
  if (!config) {
    const std::string message = config.error().message();
    co_return co_await op.async_fail(s3xml::to_s3_error(config.error()), message);
  }
  const std::string name = lifecycle_setting(op.req.bucket);
  const std::string xml = s3xml::render_lifecycle_configuration(*config);
  auto kept = co_await op.async_storage(
      [&] { return op.store().put_setting(name, std::string_view(xml)); });
  if (!kept) co_return co_await op.async_fail(kept.error());
  co_await async_send_empty(op.ctx, http::status::ok);
}

asio::awaitable<void> async_delete_bucket_lifecycle(op_context& op) {
  const std::string name = lifecycle_setting(op.req.bucket);
  auto removed =
      co_await op.async_storage([&] { return op.store().put_setting(name, std::nullopt); });
  if (!removed) co_return co_await op.async_fail(removed.error());
  co_await async_send_empty(op.ctx, http::status::no_content);
}

}  // namespace kvgate::s3
