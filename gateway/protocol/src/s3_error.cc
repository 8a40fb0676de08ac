// The S3 error table and the XML error body renderer.
#include "kvgate/protocol/s3_error.h"

#include <array>
#include <pugixml.hpp>
#include <sstream>

namespace kvgate::protocol {
namespace {

using enum s3_error;

// One row per enumerator, in enumerator order (checked by the unit tests).
constexpr std::array kTable = std::to_array<s3_error_info>({
    {access_denied, 403, "AccessDenied", "Access Denied"},
    {account_problem, 403, "AccountProblem",
     "There is a problem with your account that prevents the operation from completing "
     "successfully."},
    {authorization_header_malformed, 400, "AuthorizationHeaderMalformed",
     "The authorization header is malformed."},
    {authorization_query_parameters_error, 400, "AuthorizationQueryParametersError",
     "Error parsing the X-Amz-Credential parameter or the presigned query parameters."},
    {bad_digest, 400, "BadDigest",
     "The Content-MD5 or checksum value you specified did not match what we received."},
    {bucket_already_exists, 409, "BucketAlreadyExists",
     "The requested bucket name is not available. Please select a different name and try again."},
    {bucket_already_owned_by_you, 409, "BucketAlreadyOwnedByYou",
     "Your previous request to create the named bucket succeeded and you already own it."},
    {bucket_not_empty, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty."},
    {cluster_map_mismatch, 421, "ClusterMapMismatch",
     "The request was routed with another cluster map than this node's; fetch GET "
     "/.kvgate/v1/cluster and retry."},
    {entity_too_large, 400, "EntityTooLarge",
     "Your proposed upload exceeds the maximum allowed object size."},
    {entity_too_small, 400, "EntityTooSmall",
     "Your proposed upload is smaller than the minimum allowed object size."},
    {expired_token, 400, "ExpiredToken", "The provided token has expired."},
    {incomplete_body, 400, "IncompleteBody",
     "You did not provide the number of bytes specified by the Content-Length HTTP header."},
    {insufficient_storage, 507, "InsufficientStorage",
     "The node does not have enough storage left for this object, even after evicting."},
    {internal_error, 500, "InternalError", "We encountered an internal error. Please try again."},
    {invalid_access_key_id, 403, "InvalidAccessKeyId",
     "The AWS Access Key Id you provided does not exist in our records."},
    {invalid_argument, 400, "InvalidArgument", "Invalid Argument"},
    {invalid_bucket_name, 400, "InvalidBucketName", "The specified bucket is not valid."},
    {invalid_digest, 400, "InvalidDigest",
     "The Content-MD5 or checksum value you specified is not valid."},
    {invalid_part, 400, "InvalidPart",
     "One or more of the specified parts could not be found. The part may not have been uploaded, "
     "or "
     "the specified entity tag may not match the part's entity tag."},
    {invalid_part_order, 400, "InvalidPartOrder",
     "The list of parts was not in ascending order. Parts must be ordered by part number."},
    {invalid_range, 416, "InvalidRange", "The requested range is not satisfiable"},
    {invalid_rdma_token, 400, "InvalidRdmaToken",
     "The RDMA transfer token is invalid or has expired."},
    {invalid_request, 400, "InvalidRequest", "Invalid Request"},
    {key_too_long, 400, "KeyTooLongError", "Your key is too long"},
    {malformed_xml, 400, "MalformedXML",
     "The XML you provided was not well-formed or did not validate against our published schema."},
    {max_message_length_exceeded, 400, "MaxMessageLengthExceeded", "Your request was too big."},
    {metadata_too_large, 400, "MetadataTooLarge",
     "Your metadata headers exceed the maximum allowed metadata size."},
    {method_not_allowed, 405, "MethodNotAllowed",
     "The specified method is not allowed against this resource."},
    {missing_content_length, 411, "MissingContentLength",
     "You must provide the Content-Length HTTP header."},
    {missing_security_header, 400, "MissingSecurityHeader",
     "Your request is missing a required header."},
    {no_such_bucket, 404, "NoSuchBucket", "The specified bucket does not exist"},
    {no_such_job, 404, "NoSuchJob", "The specified maintenance job does not exist."},
    {no_such_key, 404, "NoSuchKey", "The specified key does not exist."},
    {no_such_lifecycle_configuration, 404, "NoSuchLifecycleConfiguration",
     "The lifecycle configuration does not exist"},
    {no_such_upload, 404, "NoSuchUpload",
     "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
     "been "
     "aborted or completed."},
    {not_implemented, 501, "NotImplemented",
     "A header you provided implies functionality that is not implemented"},
    {not_modified, 304, "NotModified", "Not Modified"},
    {operation_aborted, 409, "OperationAborted",
     "A conflicting conditional operation is currently in progress against this resource. Try "
     "again."},
    {precondition_failed, 412, "PreconditionFailed",
     "At least one of the pre-conditions you specified did not hold"},
    {quota_exceeded, 403, "QuotaExceeded",
     "The request would exceed the configured storage quota."},
    {rdma_declined, 501, "RdmaDeclined", "The RDMA fast path was declined; see x-amz-rdma-reason."},
    {rdma_declined_busy, 503, "RdmaDeclined",
     "The RDMA fast path is busy; retry, or send the request without a token."},
    {rdma_transfer_failed, 500, "RdmaTransferFailed",
     "The RDMA transfer failed; the session is fenced."},
    {request_expired, 403, "AccessDenied", "Request has expired"},
    {request_time_too_skewed, 403, "RequestTimeTooSkewed",
     "The difference between the request time and the server's time is too large."},
    {request_timeout, 400, "RequestTimeout",
     "Your socket connection to the server was not read from or written to within the timeout "
     "period."},
    {service_unavailable, 503, "ServiceUnavailable", "Please reduce your request rate."},
    {signature_does_not_match, 403, "SignatureDoesNotMatch",
     "The request signature we calculated does not match the signature you provided. Check your "
     "key "
     "and signing method."},
    {slow_down, 503, "SlowDown", "Please reduce your request rate."},
    {x_amz_content_sha256_mismatch, 400, "XAmzContentSHA256Mismatch",
     "The provided 'x-amz-content-sha256' header does not match what was computed."},
});

static_assert(kTable.size() == static_cast<std::size_t>(x_amz_content_sha256_mismatch) + 1,
              "every s3_error needs exactly one table row");

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].error) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "s3_error table rows must follow enumerator order");

}  // namespace

std::span<const s3_error_info> all_s3_errors() noexcept {
  return kTable;
}

const s3_error_info& info(s3_error e) noexcept {
  return kTable[static_cast<std::size_t>(e)];
}

bool has_error_body(s3_error e) noexcept {
  return e != not_modified;
}

s3_error to_s3_error(protocol_errc e) noexcept {
  switch (e) {
    case protocol_errc::ok:
      return internal_error;
    case protocol_errc::bad_percent_encoding:
      return invalid_argument;
    case protocol_errc::bad_base64:
    case protocol_errc::bad_hex:
      return invalid_digest;
    case protocol_errc::auth_header_malformed:
    case protocol_errc::bad_credential_scope:
    case protocol_errc::missing_auth_field:
    case protocol_errc::bad_signature_format:
    case protocol_errc::scope_date_mismatch:
      return authorization_header_malformed;
    case protocol_errc::unsupported_auth_algorithm:
      return invalid_argument;
    case protocol_errc::query_auth_malformed:
    case protocol_errc::expires_too_large:
      return authorization_query_parameters_error;
    case protocol_errc::bad_amz_date:
    case protocol_errc::missing_date:
      return access_denied;
    case protocol_errc::missing_signed_header:
    case protocol_errc::host_not_signed:
      return signature_does_not_match;
    case protocol_errc::missing_content_sha256:
      return invalid_request;
    case protocol_errc::request_expired:
      return request_expired;
    case protocol_errc::request_not_yet_valid:
      return access_denied;
    case protocol_errc::request_time_too_skewed:
      return request_time_too_skewed;
    case protocol_errc::signature_mismatch:
    case protocol_errc::chunk_signature_mismatch:
      return signature_does_not_match;
    case protocol_errc::chunk_truncated:
    case protocol_errc::incomplete_body:
      return incomplete_body;
    case protocol_errc::chunk_bad_hex:
    case protocol_errc::chunk_bad_framing:
    case protocol_errc::chunk_header_too_long:
    case protocol_errc::trailer_too_long:
      return invalid_request;
    case protocol_errc::body_too_long:
      return invalid_request;
    case protocol_errc::invalid_range:
      return invalid_range;
  }
  return internal_error;
}

s3_error to_s3_error(const std::error_code& ec) noexcept {
  if (ec.category() == protocol_category())
    return to_s3_error(static_cast<protocol_errc>(ec.value()));
  return internal_error;
}

std::string render_error_xml(s3_error e, std::string_view message, std::string_view resource,
                             std::string_view request_id, std::optional<std::string_view> host_id) {
  const auto& row = info(e);
  pugi::xml_document doc;
  pugi::xml_node error = doc.append_child("Error");
  auto add = [&error](const char* name, std::string_view text) {
    error.append_child(name).text().set(std::string(text).c_str());
  };
  add("Code", row.code);
  add("Message", message.empty() ? row.message : message);
  add("Resource", resource);
  add("RequestId", request_id);
  if (host_id) add("HostId", *host_id);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out.str();
}

}  // namespace kvgate::protocol
