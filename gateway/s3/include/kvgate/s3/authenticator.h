// Request authentication: SigV4 (Authorization header and presigned query),
// SigV2 (header and presigned query). Picks the scheme from the request,
// looks up the secret in the user_directory and verifies with the protocol
// library. Anonymous requests are denied.
//
// x-amz-security-token is accepted and otherwise ignored (kvgate has no STS),
// but when present it must be covered by the signature (SignedHeaders for
// SigV4 headers; query or CanonicalizedAmzHeaders otherwise), so it cannot be
// injected by a third party. Pure apart from the signing-key cache; thread-safe.
#pragma once

#include <boost/beast/http/message.hpp>

#include "kvgate/protocol/amz_time.h"
#include "kvgate/protocol/signing_key_cache.h"
#include "kvgate/s3/body_pipeline.h"
#include "kvgate/s3/s3_request.h"
#include "kvgate/s3/user_directory.h"

namespace kvgate::s3 {

struct auth_result {
  const user* caller = nullptr;
  auth_kind kind = auth_kind::sigv4_header;
  std::optional<protocol::sigv4_context> sigv4;
};

// `req` must have raw_path, query, bucket and virtual_hosted filled in.
[[nodiscard]] boost::system::result<auth_result, s3_failure> authenticate(
    const boost::beast::http::request_header<>& header, const s3_request& req,
    const user_directory& users, protocol::sys_seconds now, protocol::signing_key_cache* cache);

}  // namespace kvgate::s3
