// Error-as-value vocabulary for the S3 protocol library.
//
// Every parser and verifier in kvgate::protocol returns result<T> whose error
// is a std::error_code in protocol_category() ("kvgate.protocol"). The gateway
// maps these conditions to S3 errors (s3_error.h) in one place; the mapping
// that is unambiguous is offered by to_s3_error().
#pragma once

#include <boost/system/result.hpp>
#include <system_error>

namespace kvgate::protocol {

template <class T>
using result = boost::system::result<T, std::error_code>;

enum class protocol_errc {
  ok = 0,
  // Encodings.
  bad_percent_encoding,  // '%' not followed by two hex digits
  bad_base64,
  bad_hex,
  // Authorization header / presigned query.
  auth_header_malformed,       // cannot parse the Authorization header
  unsupported_auth_algorithm,  // not AWS4-HMAC-SHA256 / AWS
  bad_credential_scope,        // Credential= is not AK/date/region/service/aws4_request
  missing_auth_field,          // Credential, SignedHeaders or Signature absent
  bad_signature_format,        // signature is not 64 lower-case hex digits
  query_auth_malformed,        // presigned query parameters missing or invalid
  bad_amz_date,                // X-Amz-Date / Date not parseable
  missing_date,                // no x-amz-date nor Date header
  scope_date_mismatch,         // credential date differs from the request date
  missing_signed_header,       // a header listed in SignedHeaders is absent
  host_not_signed,             // SignedHeaders lacks host
  missing_content_sha256,      // SigV4 header auth without x-amz-content-sha256
  expires_too_large,           // X-Amz-Expires above 604800 s
  request_expired,             // presigned URL past its expiry
  request_not_yet_valid,       // presigned URL dated in the future
  request_time_too_skewed,     // header-auth request more than 15 min off
  signature_mismatch,          // computed signature differs
  // aws-chunked bodies.
  chunk_truncated,    // input ended inside the framing
  chunk_bad_hex,      // chunk size is not hex
  chunk_bad_framing,  // missing CRLF, bad extension, trailer in the wrong mode
  chunk_signature_mismatch,
  chunk_header_too_long,
  trailer_too_long,
  body_too_long,    // more decoded bytes than x-amz-decoded-content-length
  incomplete_body,  // fewer decoded bytes than x-amz-decoded-content-length
  // Range.
  invalid_range,  // unsatisfiable range (416)
};

const std::error_category& protocol_category() noexcept;

inline std::error_code make_error_code(protocol_errc e) noexcept {
  return {static_cast<int>(e), protocol_category()};
}

}  // namespace kvgate::protocol

template <>
struct std::is_error_code_enum<kvgate::protocol::protocol_errc> : std::true_type {};
