// Building blocks shared by the S3 XML response documents: the namespace, the
// owner and checksum elements, S3's timestamp format and encoding-type=url.
//
// Plain data and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvgate::s3xml {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
inline constexpr std::string_view kStandardStorageClass = "STANDARD";

// <Owner>/<Initiator>: <ID> and <DisplayName>.
struct owner {
  std::string id;
  std::string display_name;
};

// One additional checksum as S3 prints it: <Checksum{ALGORITHM}>value</...>.
// algorithm is the upper-case name ("CRC32", "CRC32C", "CRC64NVME", "SHA1",
// "SHA256"); empty means "no checksum" and nothing is rendered.
struct checksum_field {
  std::string algorithm;
  std::string value;  // base64, "-N" suffix for composite multipart checksums
  std::string type;   // "FULL_OBJECT" / "COMPOSITE"; rendered as <ChecksumType> where S3 does
};

// "2006-02-03T16:45:09.000Z" from Unix nanoseconds (milliseconds kept,
// truncated toward the past).
std::string format_s3_timestamp(std::int64_t unix_ns);

// encoding-type=url: percent-encodes every byte except A-Za-z0-9-._~ and '/'
// (as S3 does; clients decode with unquote/unquote_plus).
std::string url_encode_for_listing(std::string_view text);

}  // namespace kvgate::s3xml
