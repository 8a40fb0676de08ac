// Private to kvgate::gateway: the per-request side of the RDMA fast path
// (docs/rdma-protocol.md §6–7) shared by GetObject, PutObject and
// UploadPart — reading the x-amz-rdma-* request headers, admitting the
// transfer, and the decline / failure answers.
#pragma once

#include <optional>

#include "kvgate/rdma/reply.h"
#include "kvgate/rdma/transfer.h"
#include "operations.h"

namespace kvgate::s3 {

// What a request's x-amz-rdma-* headers ask for.
struct rdma_ask {
  std::optional<rdma::rc1_token> token;         // empty when declined before admission
  std::optional<rdma::decline_reason> decline;  // set: answer with this reason
  rdma::fallback_mode fallback = rdma::fallback_mode::body;
};

// No token: nullopt (plain S3). A malformed token is 400 InvalidRdmaToken, a
// bad x-amz-rdma-fallback 400 InvalidArgument; a token of another transport
// or a gateway without RDMA is an ask with a decline already set.
boost::system::result<std::optional<rdma_ask>, s3_failure> read_rdma_ask(const op_context& op);

// Admits a transfer of `bytes` for the ask (unless already declined); on a
// decline sets ask.decline and returns nullopt.
std::optional<rdma::rdma_transfer> admit_rdma_transfer(op_context& op, rdma_ask& ask,
                                                       rdma::transfer_direction direction,
                                                       std::uint64_t bytes);

// x-amz-rdma-reply: 501 and x-amz-rdma-reason.
void set_decline_headers(http::fields& h, rdma::decline_reason reason);

// The error answer of a decline without fallback: 501 RdmaDeclined (503 with
// Retry-After for busy), reply and reason headers, no body bytes moved.
asio::awaitable<void> async_send_rdma_decline(op_context& op, rdma::decline_reason reason);

// 500 RdmaTransferFailed with reason transport-error (the session is fenced).
asio::awaitable<void> async_send_rdma_failure(op_context& op);

}  // namespace kvgate::s3
