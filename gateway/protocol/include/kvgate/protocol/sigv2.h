// AWS Signature Version 2 for S3: "Authorization: AWS AK:sig" headers and
// presigned "?AWSAccessKeyId=&Expires=&Signature=" queries (boto3/awscli
// presign with SigV2 by default). HMAC-SHA1 over
//   METHOD\nContent-MD5\nContent-Type\nDate-or-Expires\n
//   CanonicalizedAmzHeaders + CanonicalizedResource
// where the resource is the path as sent (with "/bucket" prefixed by the
// caller for virtual-hosted requests) plus the S3 sub-resources, sorted.
// Pure functions; `now` injected. Thread-safe.
#pragma once

#include <string>

#include "kvgate/protocol/amz_time.h"
#include "kvgate/protocol/http_view.h"

namespace kvgate::protocol {

struct sigv2_authorization {
  std::string access_key;
  std::string signature;  // base64 as sent
};

[[nodiscard]] result<sigv2_authorization> parse_sigv2_authorization(std::string_view header);

struct sigv2_presigned {
  std::string access_key;
  sys_seconds expires{};
  std::string expires_text;  // exactly as sent; it is what was signed
  std::string signature;     // base64, already percent-decoded
};

bool has_sigv2_query_auth(const query_params& query) noexcept;  // AWSAccessKeyId present
[[nodiscard]] result<sigv2_presigned> parse_sigv2_presigned(const query_params& query);

// True for query parameters that belong in the SigV2 CanonicalizedResource.
bool is_sigv2_subresource(std::string_view name) noexcept;

// request.path must be the canonical resource path ("/bucket/key" as sent).
std::string sigv2_string_to_sign(const request_view& request, std::string_view date_or_expires);

// base64(HMAC-SHA1(secret, string_to_sign)).
std::string sigv2_sign(std::string_view secret, std::string_view string_to_sign);

// Date comes from x-amz-date (then the Date line is empty) or Date; 15-minute skew.
[[nodiscard]] result<void> verify_sigv2_header(const request_view& request,
                                               const sigv2_authorization& auth,
                                               std::string_view secret, sys_seconds now);
// request_expired when now > Expires.
[[nodiscard]] result<void> verify_sigv2_presigned(const request_view& request,
                                                  const sigv2_presigned& presigned,
                                                  std::string_view secret, sys_seconds now);

}  // namespace kvgate::protocol
