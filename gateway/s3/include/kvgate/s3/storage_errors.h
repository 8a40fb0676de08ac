// The one table from storage-engine conditions (kvgate::erasure::errc and
// errno codes) to S3 errors. Pure, thread-safe.
#pragma once

#include <system_error>

#include "kvgate/protocol/s3_error.h"

namespace kvgate::s3 {

// Any error code the gateway meets: erasure conditions, protocol conditions
// (delegated to protocol::to_s3_error) and everything else (InternalError).
protocol::s3_error s3_error_for(const std::error_code& ec) noexcept;

// Errors that tell the client to back off: answered with Retry-After.
bool is_retryable(protocol::s3_error e) noexcept;

}  // namespace kvgate::s3
