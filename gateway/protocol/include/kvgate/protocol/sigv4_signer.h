// Client-side SigV4 signing (the SDK's signer). Shares canonicalisation with
// the verifier (sigv4.h), so a request signed here verifies there.
//
// sign_request() signs every header the caller passes (which must include
// host) plus x-amz-date, x-amz-content-sha256 and, with a session token,
// x-amz-security-token, which it adds itself. presign_query() produces the
// query string of a presigned URL. Pure functions; the time is passed in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kvgate/protocol/sigv4.h"

namespace kvgate::protocol {

struct signing_credentials {
  std::string access_key;
  std::string secret_key;
  std::optional<std::string> session_token;
  std::string region;
  std::string service = "s3";
};

struct owned_header {
  std::string name;
  std::string value;
};

struct request_to_sign {
  std::string method;
  std::string path;  // already URI-encoded once, e.g. uri_encode(key, slash_encoding::keep)
  query_params query;
  std::vector<owned_header> headers;  // must include host
  std::string payload_hash;           // hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* value
};

struct signed_request {
  std::vector<owned_header>
      added_headers;  // x-amz-date, x-amz-content-sha256, [token], authorization
  std::string authorization;
  std::string signature;  // seed signature for aws-chunked bodies
  std::string amz_date;
  credential_scope credential;
  signing_key key{};
};

// Fails only when `host` is missing from request.headers (missing_signed_header).
[[nodiscard]] result<signed_request> sign_request(const signing_credentials& credentials,
                                                  const request_to_sign& request, sys_seconds now);

// Query string (without '?') for a presigned URL: the request's own parameters
// plus X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
// [-Security-Token], -Signature, all encoded. Payload hash UNSIGNED-PAYLOAD.
// Fails on expires outside 1..604800 s or a missing host header.
[[nodiscard]] result<std::string> presign_query(const signing_credentials& credentials,
                                                const request_to_sign& request, sys_seconds now,
                                                std::chrono::seconds expires);

}  // namespace kvgate::protocol
