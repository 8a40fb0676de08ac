#include "kvgate/s3/storage_errors.h"

#include <cerrno>

#include "kvgate/erasure/capacity.h"
#include "kvgate/erasure/result.h"
#include "kvgate/gateway/errc.h"

namespace kvgate::s3 {

using protocol::s3_error;

s3_error s3_error_for(const std::error_code& ec) noexcept {
  if (ec.category() == erasure::erasure_category()) {
    switch (static_cast<erasure::errc>(ec.value())) {
      case erasure::errc::ok:
        return s3_error::internal_error;
      case erasure::errc::bucket_not_found:
        return s3_error::no_such_bucket;
      case erasure::errc::bucket_exists:
        return s3_error::bucket_already_exists;
      case erasure::errc::bucket_not_empty:
        return s3_error::bucket_not_empty;
      case erasure::errc::invalid_bucket_name:
        return s3_error::invalid_bucket_name;
      case erasure::errc::object_not_found:
        return s3_error::no_such_key;
      case erasure::errc::upload_not_found:
        return s3_error::no_such_upload;
      case erasure::errc::invalid_part:
        return s3_error::invalid_part;
      case erasure::errc::invalid_part_order:
        return s3_error::invalid_part_order;
      case erasure::errc::entity_too_small:
        return s3_error::entity_too_small;
      case erasure::errc::precondition_failed:
        return s3_error::precondition_failed;
      case erasure::errc::invalid_argument:
        return s3_error::invalid_argument;
      case erasure::errc::key_too_long:
        return s3_error::key_too_long;
      case erasure::errc::too_many_parts:
        return s3_error::invalid_argument;
      case erasure::errc::write_quorum_lost:
        return s3_error::slow_down;
      case erasure::errc::busy:
        return s3_error::slow_down;
      case erasure::errc::would_block:  // callers retry on the blocking pool; never reaches a
                                        // client
        return s3_error::internal_error;
      case erasure::errc::read_quorum_lost:
        return s3_error::service_unavailable;
      case erasure::errc::disk_offline:
        return s3_error::service_unavailable;
      case erasure::errc::corrupt:
        return s3_error::internal_error;
      case erasure::errc::unformatted_disk:
        return s3_error::service_unavailable;
      case erasure::errc::foreign_disk:
        return s3_error::service_unavailable;
      case erasure::errc::format_mismatch:
        return s3_error::service_unavailable;
      case erasure::errc::index_error:
        return s3_error::internal_error;
      case erasure::errc::short_body:
        return s3_error::incomplete_body;
      case erasure::errc::long_body:
        return s3_error::invalid_request;
      case erasure::errc::quota_exceeded:
        return s3_error::quota_exceeded;
    }
    return s3_error::internal_error;
  }
  if (ec.category() == erasure::capacity_category()) return s3_error::insufficient_storage;
  if (ec.category() == gateway::gateway_category()) {
    switch (static_cast<gateway::errc>(ec.value())) {
      case gateway::errc::body_incomplete:
        return s3_error::incomplete_body;
      case gateway::errc::body_timeout:
        return s3_error::request_timeout;
      case gateway::errc::body_malformed:
        return s3_error::invalid_request;
      case gateway::errc::body_too_long:
        return s3_error::invalid_request;
      default:
        return s3_error::internal_error;
    }
  }
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) {
    if (ec.value() == ENOSPC || ec.value() == EDQUOT) return s3_error::service_unavailable;
    if (ec.value() == ENAMETOOLONG) return s3_error::key_too_long;
    return s3_error::internal_error;
  }
  return protocol::to_s3_error(ec);
}

bool is_retryable(s3_error e) noexcept {
  return e == s3_error::slow_down || e == s3_error::service_unavailable ||
         e == s3_error::rdma_declined_busy;
}

}  // namespace kvgate::s3
