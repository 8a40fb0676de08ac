// Private to kvgate::gateway: streams an upload's request body (PutObject,
// UploadPart) into an engine writer. Two buffers: while the blocking pool
// hashes and writes one, the connection strand fills the other from the
// socket, so the socket and the disks work at the same time and each storage
// hand-off carries a whole buffer (body_buffer_bytes) instead of whatever one
// read_some() returned.
//
// Memory: at most two buffers of min(body_buffer_bytes, declared length),
// the second allocated only when the body outgrows the first. Call from the
// request coroutine only; the pipeline, digests, writer and `also` must
// outlive the call.
#pragma once

#include <optional>

#include "kvgate/protocol/checksum.h"
#include "operations.h"

namespace kvgate::s3 {

// Why an upload's body did not reach the writer.
struct upload_failure {
  s3_failure failure;
  // True when the writer failed: the rest of the body is not worth draining,
  // so the connection has been marked to close.
  bool storage = false;
};

// Feeds one piece to `digests` (and `also`) and to `writer`, the digests
// and the engine write on two blocking-pool threads at once (MD5 for the ETag
// costs about as much CPU as the engine's encode and checksums together).
asio::awaitable<erasure::result<void>> async_store_piece(op_context& op, body_digests& digests,
                                                         erasure::object_writer& writer,
                                                         protocol::hasher* also,
                                                         std::span<const std::byte> data);

// The failure for a writer error; marks the connection to close (the rest
// of the body is not worth draining).
upload_failure storage_failure(op_context& op, const std::error_code& ec);

// Reads the whole body through `pipeline`, feeding every payload byte to
// `digests`, to `also` when given (an extra checksum), and to `writer`.
// On success the writer holds exactly digests.bytes() bytes; the caller
// then calls digests.finish() and pipeline.finish().
asio::awaitable<std::optional<upload_failure>> async_upload_body(op_context& op,
                                                                 body_pipeline& pipeline,
                                                                 body_digests& digests,
                                                                 erasure::object_writer& writer,
                                                                 protocol::hasher* also = nullptr);

}  // namespace kvgate::s3
