// Private to kvgate::gateway: the source side of CopyObject and
// UploadPartCopy (implemented in copy_ops.cc): the caller must be allowed to
// read the source bucket, the source must exist, and the
// x-amz-copy-source-if-{match,none-match,modified-since,unmodified-since}
// conditions must hold (else 412). On an S3-level refusal `failure` is set;
// otherwise an engine error is returned as is. Request coroutine only.
#pragma once

#include <optional>

#include "copy_source.h"
#include "operations.h"

namespace kvgate::s3 {

asio::awaitable<erasure::result<erasure::object_info>> async_check_copy_source(
    op_context& op, const copy_source& src, std::optional<s3_failure>& failure);

}  // namespace kvgate::s3
