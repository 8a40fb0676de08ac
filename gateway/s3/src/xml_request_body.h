// Private to kvgate::gateway: reads a small XML request body
// (CompleteMultipartUpload, Delete) whole into memory, through the same body
// pipeline as uploads so aws-chunked framing, x-amz-content-sha256,
// Content-MD5 and x-amz-checksum-* are verified before the XML is parsed.
//
// Bounded: a body longer than max_bytes fails with MaxMessageLengthExceeded
// without being buffered. Call from the request coroutine only.
#pragma once

#include <cstddef>
#include <string>

#include "operations.h"

namespace kvgate::s3 {

asio::awaitable<boost::system::result<std::string, s3_failure>> async_read_xml_body(
    op_context& op, std::size_t max_bytes);

}  // namespace kvgate::s3
