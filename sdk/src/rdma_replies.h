// How the SDK reads the answer to an RDMA-carrying GET/PUT
// (docs/rdma-protocol.md §7) for the fallback state machine: pure functions
// over the response's status and x-amz-rdma-* headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kvgate/sdk/rdma_fallback.h"

namespace kvgate::sdk::detail {

struct rdma_response_view {
  unsigned status = 0;
  std::string_view reply;              // x-amz-rdma-reply
  std::string_view reason;             // x-amz-rdma-reason
  std::string_view bytes_transferred;  // x-amz-rdma-bytes-transferred
  std::string_view s3_code;            // Code of the XML error body
  std::uint64_t body_bytes = 0;        // body bytes received (GET fallback=body)
};

// The reply, or nullopt when the response is an ordinary S3 answer that
// says nothing about RDMA (404 NoSuchKey, 403, 412 PreconditionFailed, ...):
// the operation's own error. A completion whose byte count is missing or
// not a number is read as a failed transfer (never as success).
std::optional<rdma_reply> classify_rdma_response(const rdma_response_view& r, rdma_operation op,
                                                 unsigned attempt);

// No response: timed out, or the connection broke (the window must be fenced).
rdma_reply rdma_no_response(bool timed_out, rdma_operation op, unsigned attempt);

}  // namespace kvgate::sdk::detail
