// Why an S3 request body (CompleteMultipartUpload, Delete,
// CreateBucketConfiguration, LifecycleConfiguration) was rejected, and the S3 error to answer with.
//
// Parsers in request_documents.h return result<T> whose error is an
// xml_errc in xml_category() ("kvgate.s3xml"); the category's message() names
// the precise problem for logs and the <Message> of the error body.
#pragma once

#include <boost/system/result.hpp>
#include <system_error>

#include "kvgate/protocol/s3_error.h"

namespace kvgate::s3xml {

template <class T>
using result = boost::system::result<T, std::error_code>;

enum class xml_errc {
  ok = 0,
  body_too_large,     // body above the parser's byte limit
  not_well_formed,    // pugixml could not parse the document
  wrong_root,         // root element is not the one the operation expects
  missing_element,    // a required child (Part, PartNumber, ETag, Object, Key) is absent
  duplicate_element,  // a single-valued child appears twice
  bad_integer,        // PartNumber is not a decimal integer
  bad_boolean,        // Quiet is not true/false
  no_entries,         // no Part / no Object
  too_many_entries,   // more Parts or Objects than the operation allows
  part_number_range,  // PartNumber outside 1..10000
  // Lifecycle configuration (lifecycle_documents.h), with AWS's errors:
  lifecycle_bad_status,          // Status not Enabled/Disabled (MalformedXML)
  lifecycle_conflict,            // Filter with Prefix, Days with Date (MalformedXML)
  lifecycle_invalid_days,        // Expiration Days not a positive integer (InvalidArgument)
  lifecycle_invalid_abort_days,  // DaysAfterInitiation not positive (InvalidArgument)
  lifecycle_invalid_date,        // Date not ISO 8601 at midnight UTC (InvalidArgument)
  lifecycle_id_too_long,         // ID above 255 characters (InvalidArgument)
  lifecycle_duplicate_id,        // two rules with one ID (InvalidArgument)
  lifecycle_no_action,           // a rule without an action (InvalidRequest)
  lifecycle_unsupported,         // Tag/And/size filters, Transition (NotImplemented)
};

const std::error_category& xml_category() noexcept;

inline std::error_code make_error_code(xml_errc e) noexcept {
  return {static_cast<int>(e), xml_category()};
}

// The S3 error a body-parsing failure is answered with. Codes from other
// categories map to internal_error.
protocol::s3_error to_s3_error(const std::error_code& ec) noexcept;

}  // namespace kvgate::s3xml

template <>
struct std::is_error_code_enum<kvgate::s3xml::xml_errc> : std::true_type {};
