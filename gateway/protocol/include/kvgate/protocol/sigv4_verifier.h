// Server-side SigV4 verification of header-authenticated and presigned
// requests. The gateway parses the Authorization header (or query), looks up
// the secret for credential.access_key, then calls one of these.
//
// On success the returned sigv4_context carries what the aws-chunked decoder
// needs to continue the signature chain (signing key, date, scope, seed
// signature) and the payload hash the body must match.
// `cache`, when given, supplies the signing key (see signing_key_cache.h).
// Pure functions apart from the cache; `now` is injected. Thread-safe.
#pragma once

#include <string>

#include "kvgate/protocol/signing_key_cache.h"
#include "kvgate/protocol/sigv4.h"

namespace kvgate::protocol {

struct sigv4_context {
  credential_scope credential;
  std::string amz_date;  // timestamp used in the string to sign
  signing_key key{};
  std::string seed_signature;
  std::string payload_hash;  // x-amz-content-sha256 value (or UNSIGNED-PAYLOAD)
};

// Checks, in order: x-amz-date (or Date) present and well-formed; credential
// date equals its day; host is signed; x-amz-content-sha256 present; clock
// skew within 15 minutes; signature (constant-time compare). The signature is
// checked over the path as sent and, if that fails, over the path decoded and
// re-encoded per SigV4 (clients that send e.g. '$' raw but sign "%24").
[[nodiscard]] result<sigv4_context> verify_sigv4_header(const request_view& request,
                                                        const sigv4_authorization& auth,
                                                        std::string_view secret, sys_seconds now,
                                                        signing_key_cache* cache = nullptr);

// Checks: credential date equals X-Amz-Date's day; host is signed; not dated
// more than 15 minutes in the future; not expired (now > date + expires);
// signature over the query without X-Amz-Signature and payload hash
// UNSIGNED-PAYLOAD (or X-Amz-Content-Sha256 if present in the query).
[[nodiscard]] result<sigv4_context> verify_sigv4_presigned(const request_view& request,
                                                           const sigv4_presigned& presigned,
                                                           std::string_view secret, sys_seconds now,
                                                           signing_key_cache* cache = nullptr);

}  // namespace kvgate::protocol
