// The kvgate.s3xml error category and its mapping to S3 errors.
#include "kvgate/s3xml/xml_errc.h"

#include <string>

namespace kvgate::s3xml {
namespace {

class xml_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kvgate.s3xml"; }
  std::string message(int value) const override {
    switch (static_cast<xml_errc>(value)) {
      case xml_errc::ok:
        return "success";
      case xml_errc::body_too_large:
        return "the XML body exceeds the size limit";
      case xml_errc::not_well_formed:
        return "the XML you provided was not well-formed";
      case xml_errc::wrong_root:
        return "unexpected root element";
      case xml_errc::missing_element:
        return "a required XML element is missing";
      case xml_errc::duplicate_element:
        return "an XML element appears more than once";
      case xml_errc::bad_integer:
        return "a numeric XML element is not a decimal integer";
      case xml_errc::bad_boolean:
        return "a boolean XML element is not true or false";
      case xml_errc::no_entries:
        return "the request lists no entries";
      case xml_errc::too_many_entries:
        return "the request lists too many entries";
      case xml_errc::part_number_range:
        return "Part number must be an integer between 1 and 10000, inclusive";
      case xml_errc::lifecycle_bad_status:
        return "Status must be Enabled or Disabled";
      case xml_errc::lifecycle_conflict:
        return "a lifecycle rule has conflicting elements (Filter and Prefix, or Days and Date)";
      case xml_errc::lifecycle_invalid_days:
        return "'Days' for Expiration action must be a positive integer";
      case xml_errc::lifecycle_invalid_abort_days:
        return "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a "
               "positive integer";
      case xml_errc::lifecycle_invalid_date:
        return "'Date' must be an ISO 8601 date at midnight GMT";
      case xml_errc::lifecycle_id_too_long:
        return "ID length should not exceed allowed limit of 255";
      case xml_errc::lifecycle_duplicate_id:
        return "Rule ID must be unique. Found same ID for more than one rule";
      case xml_errc::lifecycle_no_action:
        return "At least one action needs to be specified in a rule";
      case xml_errc::lifecycle_unsupported:
        return "kvgate lifecycle rules support Expiration and AbortIncompleteMultipartUpload "
               "with prefix filters only";
    }
    return "unknown s3 xml error";
  }
};

}  // namespace

const std::error_category& xml_category() noexcept {
  static const xml_category_impl category;
  return category;
}

protocol::s3_error to_s3_error(const std::error_code& ec) noexcept {
  using protocol::s3_error;
  if (ec.category() != xml_category()) return s3_error::internal_error;
  switch (static_cast<xml_errc>(ec.value())) {
    case xml_errc::ok:
      return s3_error::internal_error;
    case xml_errc::body_too_large:
      return s3_error::max_message_length_exceeded;
    case xml_errc::part_number_range:
    case xml_errc::lifecycle_invalid_days:
    case xml_errc::lifecycle_invalid_abort_days:
    case xml_errc::lifecycle_invalid_date:
    case xml_errc::lifecycle_id_too_long:
    case xml_errc::lifecycle_duplicate_id:
      return s3_error::invalid_argument;
    case xml_errc::lifecycle_no_action:
      return s3_error::invalid_request;
    case xml_errc::lifecycle_unsupported:
      return s3_error::not_implemented;
    case xml_errc::lifecycle_bad_status:
    case xml_errc::lifecycle_conflict:
      return s3_error::malformed_xml;
    case xml_errc::not_well_formed:
    case xml_errc::wrong_root:
    case xml_errc::missing_element:
    case xml_errc::duplicate_element:
    case xml_errc::bad_integer:
    case xml_errc::bad_boolean:
    case xml_errc::no_entries:
    case xml_errc::too_many_entries:
      return s3_error::malformed_xml;
  }
  return s3_error::internal_error;
}

}  // namespace kvgate::s3xml
