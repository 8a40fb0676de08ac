// Small S3 response bodies about objects and buckets: CopyObjectResult,
// CopyPartResult, DeleteResult and LocationConstraint.
//
// Plain document structs rendered with pugixml (all text escaped). Pure
// functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kvgate/s3xml/document_parts.h"

namespace kvgate::s3xml {

// CopyObjectResult / CopyPartResult: <LastModified>, <ETag>, checksum.
struct copy_result_document {
  std::int64_t mtime_ns = 0;
  std::string etag;
  checksum_field checksum;  // type rendered as <ChecksumType> for CopyObject only
};
std::string render_copy_object_result(const copy_result_document& doc);
std::string render_copy_part_result(const copy_result_document& doc);

struct deleted_entry {
  std::string key;
  std::string version_id;  // rendered when non-empty
};

struct delete_error_entry {
  std::string key;
  std::string version_id;  // rendered when non-empty
  std::string code;        // S3 error Code, e.g. "AccessDenied"
  std::string message;
};

// DeleteResult. In quiet mode the <Deleted> entries are left out and only
// errors are reported (S3's Quiet semantics).
struct delete_result_document {
  bool quiet = false;
  std::vector<deleted_entry> deleted;
  std::vector<delete_error_entry> errors;
};
std::string render_delete_result(const delete_result_document& doc);

// One key of an ExistsResult (docs/api.md), in request order.
struct exists_entry {
  std::string key;
  bool exists = false;
  std::uint64_t size = 0;     // when exists
  std::string etag;           // quoted, when exists
  std::int64_t mtime_ns = 0;  // when exists
};
std::string render_exists_result(const std::vector<exists_entry>& entries);

// <LocationConstraint>region</LocationConstraint>; S3 answers an empty element
// for us-east-1, so pass an empty region for it.
std::string render_location_constraint(std::string_view region);

}  // namespace kvgate::s3xml
