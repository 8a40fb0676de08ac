// ETags of uploads (docs/configuration.md, "ETags"). By default a single PUT
// or an UploadPart gets S3's ETag, the MD5 of its body. A bucket configured
// with etag = "xxh3" (or a server started with --etag xxh3) gets an opaque
// ETag instead: the XXH3-128 of the body written "<32 hex>-xxh3", about 30
// times cheaper than MD5 on the same CPU. It never looks like an MD5 (32 hex
// digits alone), so clients that compare ETags with an MD5 they computed
// (rclone, s3cmd) skip the comparison as they do for multipart ETags. A
// request that sends Content-MD5 is verified with it and gets the MD5 ETag
// in either style. Multipart ETags stay "<md5 of the part digests>-N".
//
// Thread-safety: etag_policy is immutable after start-up; the functions are
// pure.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kvgate/gateway/config.h"
#include "kvgate/protocol/encoding.h"

namespace kvgate::s3 {

inline constexpr std::string_view kXxh3EtagSuffix = "-xxh3";

// Which ETag style each bucket uses: the server's `etag`, overridden by
// `etag` in a [buckets.<name>] table. Read at start-up only.
struct etag_policy {
  gateway::etag_style default_style = gateway::etag_style::md5;
  std::map<std::string, gateway::etag_style, std::less<>> buckets;

  gateway::etag_style style_for(std::string_view bucket) const;
  static etag_policy from_config(const gateway::server_config& config);
};

// "\"<hex md5>\"": the S3 ETag of a body with this MD5.
std::string md5_etag(const protocol::bytes& md5);
// "\"<hex xxh3-128>-xxh3\"": the opaque ETag of a body with this XXH3-128
// (16 bytes, canonical big-endian order).
std::string xxh3_etag(const protocol::bytes& xxh3);

// XXH3-128 of a whole buffer, canonical (big-endian) bytes: what xxh3_etag takes.
protocol::bytes xxh3_128(protocol::byte_view data);

// The 16 digest bytes behind a part's ETag (quoted or not): an MD5 ETag or an
// xxh3 one. Empty optional for anything else. CompleteMultipartUpload builds
// the object's ETag from these.
std::optional<protocol::bytes> part_etag_digest(std::string_view etag);

}  // namespace kvgate::s3
