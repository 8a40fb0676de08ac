// AWS Signature Version 4 for S3: parsing of the Authorization header and of
// presigned query parameters, canonical request, string to sign, signing key
// and signature. The verifier (sigv4_verifier.h), the client signer
// (sigv4_signer.h) and the aws-chunked chain (sigv4_chunk.h) all build on the
// functions here, so there is exactly one canonicalisation.
//
// S3 rules that differ from other AWS services: the path is used exactly as
// the client sent it (already URI-encoded once, never normalised or encoded
// again); the payload hash is the x-amz-content-sha256 value.
// Pure functions, thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/protocol/amz_time.h"
#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/http_view.h"

namespace kvgate::protocol {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayloadTrailer =
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
inline constexpr std::string_view kStreamingUnsignedPayloadTrailer =
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::chrono::seconds kMaxPresignExpiry{604800};

struct credential_scope {
  std::string access_key;
  std::string date;     // YYYYMMDD
  std::string region;   // any string (LMCache users pass "default", "US-WEST-04A")
  std::string service;  // "s3"
  // "date/region/service/aws4_request"
  std::string scope() const;
  friend bool operator==(const credential_scope&, const credential_scope&) = default;
};

// Parses "AK/date/region/service/aws4_request".
[[nodiscard]] result<credential_scope> parse_credential(std::string_view text);

struct sigv4_authorization {
  credential_scope credential;
  std::vector<std::string> signed_headers;  // as sent: lower case, ';'-separated, sorted
  std::string signature;                    // 64 lower-case hex digits
};

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." (the
// three fields in any order, separated by ',' and optional spaces).
[[nodiscard]] result<sigv4_authorization> parse_sigv4_authorization(std::string_view header);

struct sigv4_presigned {
  credential_scope credential;
  std::string amz_date;  // X-Amz-Date
  std::chrono::seconds expires{};
  std::vector<std::string> signed_headers;
  std::string signature;
};

// True when the query carries X-Amz-Algorithm (the request claims SigV4 query auth).
bool has_sigv4_query_auth(const query_params& query) noexcept;
// Requires X-Amz-Algorithm=AWS4-HMAC-SHA256, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires (1..604800), X-Amz-SignedHeaders and X-Amz-Signature.
[[nodiscard]] result<sigv4_presigned> parse_sigv4_presigned(const query_params& query);

// Header value canonical form: outer whitespace trimmed, inner runs of spaces
// and tabs collapsed to one space.
std::string canonical_header_value(std::string_view value);

// Sorted "name=value" pairs, both uri_encode()d with '/' encoded, joined by
// '&'. Parameters named `skip` (X-Amz-Signature for presigned URLs) are left out.
std::string canonical_query_string(const query_params& query, std::string_view skip = {});

// The SigV4 canonical request. Fails with missing_signed_header when a name in
// signed_headers has no header in the request.
[[nodiscard]] result<std::string> canonical_request(const request_view& request,
                                                    const std::vector<std::string>& signed_headers,
                                                    std::string_view payload_hash,
                                                    std::string_view skip_query_param = {});

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

using signing_key = sha256_digest;
// HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
// Depends only on (secret, date, region, service): cache it per day.
signing_key derive_signing_key(std::string_view secret, std::string_view date,
                               std::string_view region, std::string_view service);

// Lower-case hex HMAC-SHA256 of the string to sign.
std::string sign(const signing_key& key, std::string_view string_to_sign);

}  // namespace kvgate::protocol
