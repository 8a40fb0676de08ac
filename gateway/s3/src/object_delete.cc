// DeleteObject: 204 whether or not the key existed (S3 semantics).
#include "operations.h"

namespace kvgate::s3 {

asio::awaitable<void> async_delete_object(op_context& op) {
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;
  auto r = co_await op.async_storage([&] { return op.store().remove(bucket, key); });
  if (!r) co_return co_await op.async_fail(r.error());
  co_await async_send_empty(op.ctx, http::status::no_content);
}

}  // namespace kvgate::s3
