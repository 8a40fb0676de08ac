// Private to kvgate::gateway: streams an object_reader into an object_writer
// (CopyObject, UploadPartCopy) in bounded pieces on the blocking pool,
// computing the MD5 (ETag) and optionally one additional checksum on the way.
//
// Memory: one buffer of body_buffer_bytes. The reader and writer must outlive
// the call; call from the request coroutine only.
#pragma once

#include <optional>

#include "kvgate/protocol/checksum.h"
#include "operations.h"

namespace kvgate::s3 {

struct pumped_digests {
  protocol::bytes md5;
  std::optional<protocol::bytes> checksum;  // when an algorithm was asked for
  std::uint64_t bytes = 0;
};

asio::awaitable<erasure::result<pumped_digests>> async_pump_object(
    op_context& op, erasure::object_reader& reader, erasure::object_writer& writer,
    std::optional<protocol::checksum_algorithm> checksum);

}  // namespace kvgate::s3
