// The closed set of S3 errors kvgate answers, their HTTP statuses and XML
// Codes (one table, s3_error.cc), and the XML error body renderer.
//
// Storage and protocol layers report their own error codes; the gateway turns
// them into an s3_error at the request boundary and renders it here. Pure
// functions over constant data, thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "kvgate/protocol/result.h"

namespace kvgate::protocol {

enum class s3_error {
  access_denied,
  account_problem,
  authorization_header_malformed,
  authorization_query_parameters_error,
  bad_digest,
  bucket_already_exists,
  bucket_already_owned_by_you,
  bucket_not_empty,
  cluster_map_mismatch,  // kvgate: routed with another cluster map than this node's (421)
  entity_too_large,
  entity_too_small,
  expired_token,
  incomplete_body,
  insufficient_storage,  // kvgate: node capacity cannot be met by eviction (507)
  internal_error,
  invalid_access_key_id,
  invalid_argument,
  invalid_bucket_name,
  invalid_digest,
  invalid_part,
  invalid_part_order,
  invalid_range,
  invalid_rdma_token,  // kvgate: RDMA fast-path token rejected (400)
  invalid_request,
  key_too_long,
  malformed_xml,
  max_message_length_exceeded,
  metadata_too_large,
  method_not_allowed,
  missing_content_length,
  missing_security_header,
  no_such_bucket,
  no_such_job,  // kvgate: admin API maintenance job id unknown (404)
  no_such_key,
  no_such_lifecycle_configuration,
  no_such_upload,
  not_implemented,
  not_modified,       // 304, no body
  operation_aborted,  // 409: a conflicting operation is in progress
  precondition_failed,
  quota_exceeded,        // kvgate: bucket or deployment quota (403)
  rdma_declined,         // kvgate: RDMA fast path declined, no fallback (501)
  rdma_declined_busy,    // kvgate: RDMA declined for now (503 RdmaDeclined)
  rdma_transfer_failed,  // kvgate: an RDMA transfer failed after it started (500)
  request_expired,       // presigned URL expired: 403 AccessDenied "Request has expired"
  request_time_too_skewed,
  request_timeout,
  service_unavailable,
  signature_does_not_match,
  slow_down,
  x_amz_content_sha256_mismatch,
};

struct s3_error_info {
  s3_error error;
  unsigned http_status;
  std::string_view code;     // XML <Code>
  std::string_view message;  // default <Message>
};

// The whole table, in enumerator order (for tests and documentation).
std::span<const s3_error_info> all_s3_errors() noexcept;
const s3_error_info& info(s3_error e) noexcept;
inline unsigned http_status(s3_error e) noexcept {
  return info(e).http_status;
}
inline std::string_view error_code_name(s3_error e) noexcept {
  return info(e).code;
}
// False for statuses that must not carry a body (304).
bool has_error_body(s3_error e) noexcept;

// The S3 error a protocol-layer failure should be answered with.
s3_error to_s3_error(protocol_errc e) noexcept;
// As above for any error_code: protocol_category() codes are mapped, anything
// else is internal_error.
s3_error to_s3_error(const std::error_code& ec) noexcept;

// <?xml version="1.0" encoding="UTF-8"?>\n<Error><Code/><Message/><Resource/>
// <RequestId/>[<HostId/>]</Error>. An empty `message` uses the table default.
// All text is XML-escaped (pugixml serialises the document).
std::string render_error_xml(s3_error e, std::string_view message, std::string_view resource,
                             std::string_view request_id,
                             std::optional<std::string_view> host_id = std::nullopt);

}  // namespace kvgate::protocol
