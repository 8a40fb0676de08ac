// Private to kvgate::gateway: the x-amz-copy-source header of CopyObject and
// UploadPartCopy ("[/]bucket/key[?versionId=null]", percent-encoded) and the
// x-amz-copy-source-range of UploadPartCopy ("bytes=first-last").
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kvgate/erasure/object.h"
#include "kvgate/s3/body_pipeline.h"

namespace kvgate::s3 {

struct copy_source {
  std::string bucket;
  std::string key;  // decoded
};

// InvalidArgument for a malformed header or a versionId other than "null"
// (kvgate keeps one version per key).
boost::system::result<copy_source, s3_failure> parse_copy_source(std::string_view header);

// Resolves "bytes=a-b" against the source size: InvalidArgument when
// malformed, InvalidRange when it does not lie within the object.
boost::system::result<erasure::byte_range, s3_failure> parse_copy_source_range(
    std::string_view header, std::uint64_t size);

}  // namespace kvgate::s3
