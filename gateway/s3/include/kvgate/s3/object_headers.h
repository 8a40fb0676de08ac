// Mapping between HTTP headers and the object attributes the engine stores:
// Content-Type, Content-Encoding (minus "aws-chunked"), Cache-Control,
// Content-Disposition, Content-Language, Expires and x-amz-meta-*; and back
// to response headers, including the response-* query overrides of GET.
// Pure functions, thread-safe.
#pragma once

#include <boost/beast/http/message.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "kvgate/erasure/object.h"
#include "kvgate/protocol/uri.h"

namespace kvgate::s3 {

// Total size of user metadata names + values allowed on one object (S3: 2 KiB).
inline constexpr std::size_t kMaxUserMetadataBytes = 2048;

// Reads the attributes from request headers. Metadata names are lower-cased.
erasure::object_attrs attrs_from_headers(const boost::beast::http::fields& headers);

// Bytes of user metadata (names without the x-amz-meta- prefix plus values).
std::size_t user_metadata_bytes(const erasure::object_attrs& attrs) noexcept;

// Removes "aws-chunked" from a Content-Encoding list ("aws-chunked,gzip" -> "gzip").
std::string strip_aws_chunked(std::string_view content_encoding);

// Sets ETag, Last-Modified, stored attributes and x-amz-meta-* on a response,
// then applies response-content-type & co. from `query`.
void set_object_headers(boost::beast::http::fields& out, const erasure::object_info& info,
                        const protocol::query_params& query);

// "Wed, 21 Oct 2015 07:28:00 GMT" for a time in nanoseconds since the epoch.
std::string http_date_from_ns(std::int64_t ns);
std::chrono::sys_seconds seconds_from_ns(std::int64_t ns) noexcept;

}  // namespace kvgate::s3
