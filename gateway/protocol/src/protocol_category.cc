// The "kvgate.protocol" error category.
#include <string>

#include "kvgate/protocol/result.h"

namespace kvgate::protocol {
namespace {

class protocol_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kvgate.protocol"; }

  std::string message(int value) const override {
    switch (static_cast<protocol_errc>(value)) {
      case protocol_errc::ok:
        return "success";
      case protocol_errc::bad_percent_encoding:
        return "malformed percent-encoding";
      case protocol_errc::bad_base64:
        return "malformed base64";
      case protocol_errc::bad_hex:
        return "malformed hex";
      case protocol_errc::auth_header_malformed:
        return "malformed Authorization header";
      case protocol_errc::unsupported_auth_algorithm:
        return "unsupported authorization algorithm";
      case protocol_errc::bad_credential_scope:
        return "malformed credential scope";
      case protocol_errc::missing_auth_field:
        return "Authorization lacks Credential, SignedHeaders or Signature";
      case protocol_errc::bad_signature_format:
        return "signature is not lower-case hex of the right length";
      case protocol_errc::query_auth_malformed:
        return "malformed presigned query parameters";
      case protocol_errc::bad_amz_date:
        return "malformed request date";
      case protocol_errc::missing_date:
        return "request has no x-amz-date or Date header";
      case protocol_errc::scope_date_mismatch:
        return "credential scope date differs from the request date";
      case protocol_errc::missing_signed_header:
        return "a signed header is absent from the request";
      case protocol_errc::host_not_signed:
        return "SignedHeaders must include host";
      case protocol_errc::missing_content_sha256:
        return "missing x-amz-content-sha256";
      case protocol_errc::expires_too_large:
        return "X-Amz-Expires must be at most 604800 seconds";
      case protocol_errc::request_expired:
        return "request has expired";
      case protocol_errc::request_not_yet_valid:
        return "request is not valid yet";
      case protocol_errc::request_time_too_skewed:
        return "request time too skewed";
      case protocol_errc::signature_mismatch:
        return "signature does not match";
      case protocol_errc::chunk_truncated:
        return "aws-chunked body truncated";
      case protocol_errc::chunk_bad_hex:
        return "aws-chunked size is not hex";
      case protocol_errc::chunk_bad_framing:
        return "aws-chunked framing error";
      case protocol_errc::chunk_signature_mismatch:
        return "aws-chunked chunk signature does not match";
      case protocol_errc::chunk_header_too_long:
        return "aws-chunked chunk header too long";
      case protocol_errc::trailer_too_long:
        return "aws-chunked trailer too long";
      case protocol_errc::body_too_long:
        return "decoded body longer than x-amz-decoded-content-length";
      case protocol_errc::incomplete_body:
        return "decoded body shorter than x-amz-decoded-content-length";
      case protocol_errc::invalid_range:
        return "requested range not satisfiable";
    }
    return "unknown kvgate.protocol error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
  static const protocol_category_impl category;
  return category;
}

}  // namespace kvgate::protocol
