// GetObjectTagging. kvgate stores no object tags (PutObjectTagging and the
// bucket tagging sub-resource answer 501 NotImplemented), so an existing
// object answers an empty TagSet and a missing one NoSuchKey. The aws cli v2
// reads the source's tags for every multipart `aws s3 cp s3://... s3://...`
// (copy-props default) and fails the copy when the call fails.
// g++ 12 at -O2 with ASan inlines Asio's coroutine frame allocator
// (aligned_alloc) and its sized operator delete and reports a false
// -Wmismatched-new-delete at the end of coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "operations.h"

namespace kvgate::s3 {
namespace {

constexpr std::string_view kEmptyTagging =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet/></Tagging>";

}  // namespace

asio::awaitable<void> async_get_object_tagging(op_context& op) {
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;
  auto info = co_await op.async_storage([&] { return op.store().head(bucket, key); });
  if (!info) co_return co_await op.async_fail(info.error());
  co_await async_send_xml(op.ctx, http::status::ok, std::string(kEmptyTagging));
}

}  // namespace kvgate::s3
