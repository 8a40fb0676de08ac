// Where a request points: bucket and key from a virtual-hosted Host header
// (`bucket.<domain>[:port]` for each configured base domain, IP literals
// included) or from the path (`/bucket/key`). The key is percent-decoded
// exactly once from the raw request-target. Pure functions, thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "kvgate/protocol/result.h"

namespace kvgate::s3 {

inline constexpr std::size_t kMaxKeyBytes = 1024;

struct address {
  std::string bucket;  // empty: service level (ListBuckets)
  std::string key;     // decoded; empty: bucket level
  bool virtual_hosted = false;
};

// The bucket named by `host` (Host header, port allowed) for one of `domains`,
// or empty when the host is not `<bucket>.<domain>`. Case-insensitive.
std::string bucket_from_host(std::string_view host, std::span<const std::string> domains);

// Resolves the address. Fails with bad_percent_encoding for a malformed path.
[[nodiscard]] protocol::result<address> resolve_address(std::string_view host,
                                                        std::string_view raw_path,
                                                        std::span<const std::string> domains);

// S3 bucket naming rules for CreateBucket: 3-63 chars of [a-z0-9.-], starting
// and ending with a letter or digit, no "..", not an IPv4 address, no
// "xn--" prefix or "-s3alias" suffix.
bool is_valid_bucket_name(std::string_view name) noexcept;

}  // namespace kvgate::s3
