// Private to kvgate::gateway: GetObject over the RDMA fast path
// (docs/rdma-protocol.md §7.1): the engine reads each piece into registered
// staging memory on the blocking pool and the transfer RDMA-WRITEs it into
// the client's window; up to the transfer's depth of pieces are in flight
// while the next is read from disk. The response is sent by the caller once
// the outcome is known.
#pragma once

#include <optional>
#include <system_error>

#include "rdma_request.h"

namespace kvgate::s3 {

struct rdma_download_outcome {
  bool posted_any = false;                               // some RDMA WRITE was posted
  std::optional<std::error_code> storage;                // the engine failed mid-transfer
  rdma::result<std::uint64_t> moved = std::uint64_t{0};  // transfer result
};

asio::awaitable<rdma_download_outcome> async_download_rdma(op_context& op,
                                                           rdma::rdma_transfer& transfer,
                                                           erasure::object_reader& reader);

}  // namespace kvgate::s3
