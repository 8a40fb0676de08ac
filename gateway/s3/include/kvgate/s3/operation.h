// The S3 operations the router knows, and the pure function that picks one
// from (method, bucket?, key?, sub-resources). Adding an operation: add an
// enumerator, a rule in route() (router.cc), its required permission in
// required_access() and a case in the dispatcher (s3_handler.cc).
// Pure functions, thread-safe.
#pragma once

#include <string_view>

#include "kvgate/protocol/uri.h"

namespace kvgate::s3 {

enum class operation {
  not_implemented,  // a method or sub-resource we do not serve: 501
  method_not_allowed,
  list_buckets,
  create_bucket,
  delete_bucket,
  head_bucket,
  get_bucket_location,
  list_objects,            // GET /bucket (v1) and ?list-type=2
  list_object_versions,    // GET /bucket?versions (current objects, VersionId null)
  list_multipart_uploads,  // GET /bucket?uploads
  delete_objects,          // POST /bucket?delete
  batch_exists,            // POST /bucket?kvgate-exists (kvgate extension, docs/api.md)
  put_object,
  copy_object,  // PUT with x-amz-copy-source
  get_object,
  head_object,
  delete_object,
  create_multipart_upload,    // POST ?uploads
  upload_part,                // PUT ?partNumber&uploadId
  upload_part_copy,           // ... with x-amz-copy-source
  complete_multipart_upload,  // POST ?uploadId
  abort_multipart_upload,     // DELETE ?uploadId
  list_parts,                 // GET ?uploadId
  get_object_tagging,         // GET /bucket/key?tagging (always an empty TagSet)
  get_bucket_lifecycle,       // GET /bucket?lifecycle
  put_bucket_lifecycle,       // PUT /bucket?lifecycle
  delete_bucket_lifecycle,    // DELETE /bucket?lifecycle
};

std::string_view operation_name(operation op) noexcept;

struct route_input {
  std::string_view method;
  bool has_bucket = false;
  bool has_key = false;
  const protocol::query_params* query = nullptr;
  bool has_copy_source = false;  // x-amz-copy-source header present
};

operation route(const route_input& in) noexcept;

// What the caller needs on the bucket. `none` for service-level operations.
enum class access { none, read, write };
access required_access(operation op) noexcept;

}  // namespace kvgate::s3
