// Private to kvgate::gateway: PutObject / UploadPart over the RDMA fast path
// (docs/rdma-protocol.md §6–7): the payload is RDMA-READ from the client's
// window instead of arriving in the HTTP body, then hashed, checksummed and
// written exactly like a body (body_upload.h).
#pragma once

#include <optional>

#include "body_upload.h"
#include "rdma_request.h"

namespace kvgate::s3 {

// Checks an RDMA upload's headers — no HTTP body, x-amz-rdma-content-length,
// x-amz-checksum-crc32c or -crc64nvme — and points `plan` at the RDMA
// payload. Returns the payload size. Errors: InvalidRequest, InvalidArgument.
boost::system::result<std::uint64_t, s3_failure> plan_rdma_upload(const op_context& op,
                                                                  body_plan& plan);

// Moves the payload in order from the client window into `writer`, feeding
// `digests` (and `also`). A transfer failure is RdmaTransferFailed (the
// session is fenced); a storage failure closes the connection.
asio::awaitable<std::optional<upload_failure>> async_upload_rdma(op_context& op,
                                                                 rdma::rdma_transfer& transfer,
                                                                 body_digests& digests,
                                                                 erasure::object_writer& writer,
                                                                 protocol::hasher* also = nullptr);

// x-amz-rdma-reply: 200 and x-amz-rdma-bytes-transferred on a stored upload.
void set_rdma_success_headers(http::fields& h, std::string_view reply, std::uint64_t bytes);

}  // namespace kvgate::s3
