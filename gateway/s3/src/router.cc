#include "kvgate/s3/operation.h"

namespace kvgate::s3 {
namespace {

bool has(const protocol::query_params* q, std::string_view name) noexcept {
  return q != nullptr && protocol::find_param(*q, name) != nullptr;
}

// Bucket sub-resources S3 defines that kvgate does not serve (501).
constexpr std::string_view kUnsupportedSubresources[] = {
    "acl",          "accelerate",     "analytics",
    "cors",         "encryption",     "intelligent-tiering",
    "inventory",    "logging",        "metrics",
    "notification", "object-lock",    "ownershipControls",
    "policy",       "policyStatus",   "publicAccessBlock",
    "replication",  "requestPayment", "tagging",
    "versioning",   "website",        "legal-hold",
    "retention",    "torrent",        "restore",
    "select",       "attributes",     "session"};

bool has_unsupported_subresource(const protocol::query_params* q) noexcept {
  if (q == nullptr) return false;
  for (auto name : kUnsupportedSubresources) {
    if (protocol::find_param(*q, name) != nullptr) return true;
  }
  return false;
}

operation route_service(std::string_view m) noexcept {
  if (m == "GET") return operation::list_buckets;
  return operation::method_not_allowed;
}

operation route_bucket(std::string_view m, const protocol::query_params* q) noexcept {
  if (has(q, "lifecycle")) {
    if (m == "GET") return operation::get_bucket_lifecycle;
    if (m == "PUT") return operation::put_bucket_lifecycle;
    if (m == "DELETE") return operation::delete_bucket_lifecycle;
    return operation::method_not_allowed;
  }
  if (m == "GET") {
    if (has(q, "location")) return operation::get_bucket_location;
    if (has(q, "uploads")) return operation::list_multipart_uploads;
    if (has(q, "versions")) return operation::list_object_versions;
    return operation::list_objects;
  }
  if (m == "HEAD") return operation::head_bucket;
  if (m == "PUT") return operation::create_bucket;
  if (m == "DELETE") return operation::delete_bucket;
  if (m == "POST") {
    if (has(q, "delete")) return operation::delete_objects;
    if (has(q, "kvgate-exists")) return operation::batch_exists;
    return operation::not_implemented;
  }
  return operation::method_not_allowed;
}

operation route_object(std::string_view m, const protocol::query_params* q,
                       bool copy_source) noexcept {
  if (has(q, "lifecycle")) return operation::not_implemented;  // a bucket sub-resource only
  const bool upload_id = has(q, "uploadId");
  if (m == "GET") {
    if (upload_id) return operation::list_parts;
    return operation::get_object;
  }
  if (m == "HEAD") return operation::head_object;
  if (m == "PUT") {
    if (upload_id && has(q, "partNumber")) {
      return copy_source ? operation::upload_part_copy : operation::upload_part;
    }
    if (upload_id) return operation::not_implemented;
    return copy_source ? operation::copy_object : operation::put_object;
  }
  if (m == "DELETE")
    return upload_id ? operation::abort_multipart_upload : operation::delete_object;
  if (m == "POST") {
    if (has(q, "uploads")) return operation::create_multipart_upload;
    if (upload_id) return operation::complete_multipart_upload;
    return operation::not_implemented;
  }
  return operation::method_not_allowed;
}

}  // namespace

operation route(const route_input& in) noexcept {
  // Objects carry no tags: reading them is served, setting them is not.
  if (in.has_key && in.method == "GET" && has(in.query, "tagging")) {
    return operation::get_object_tagging;
  }
  if (has_unsupported_subresource(in.query)) return operation::not_implemented;
  if (!in.has_bucket) return route_service(in.method);
  if (!in.has_key) return route_bucket(in.method, in.query);
  return route_object(in.method, in.query, in.has_copy_source);
}

access required_access(operation op) noexcept {
  switch (op) {
    case operation::not_implemented:
    case operation::method_not_allowed:
    case operation::list_buckets:
      return access::none;
    case operation::head_bucket:
    case operation::get_bucket_location:
    case operation::list_objects:
    case operation::list_object_versions:
    case operation::list_multipart_uploads:
    case operation::get_object:
    case operation::head_object:
    case operation::list_parts:
    case operation::get_object_tagging:
    case operation::batch_exists:
    case operation::get_bucket_lifecycle:
      return access::read;
    case operation::create_bucket:
    case operation::delete_bucket:
    case operation::delete_objects:
    case operation::put_object:
    case operation::copy_object:
    case operation::delete_object:
    case operation::create_multipart_upload:
    case operation::upload_part:
    case operation::upload_part_copy:
    case operation::complete_multipart_upload:
    case operation::abort_multipart_upload:
    case operation::put_bucket_lifecycle:
    case operation::delete_bucket_lifecycle:
      return access::write;
  }
  return access::write;
}

std::string_view operation_name(operation op) noexcept {
  switch (op) {
    case operation::not_implemented:
      return "NotImplemented";
    case operation::method_not_allowed:
      return "MethodNotAllowed";
    case operation::list_buckets:
      return "ListBuckets";
    case operation::create_bucket:
      return "CreateBucket";
    case operation::delete_bucket:
      return "DeleteBucket";
    case operation::head_bucket:
      return "HeadBucket";
    case operation::get_bucket_location:
      return "GetBucketLocation";
    case operation::list_objects:
      return "ListObjects";
    case operation::list_object_versions:
      return "ListObjectVersions";
    case operation::list_multipart_uploads:
      return "ListMultipartUploads";
    case operation::delete_objects:
      return "DeleteObjects";
    case operation::batch_exists:
      return "BatchExists";
    case operation::put_object:
      return "PutObject";
    case operation::copy_object:
      return "CopyObject";
    case operation::get_object:
      return "GetObject";
    case operation::head_object:
      return "HeadObject";
    case operation::delete_object:
      return "DeleteObject";
    case operation::create_multipart_upload:
      return "CreateMultipartUpload";
    case operation::upload_part:
      return "UploadPart";
    case operation::upload_part_copy:
      return "UploadPartCopy";
    case operation::complete_multipart_upload:
      return "CompleteMultipartUpload";
    case operation::abort_multipart_upload:
      return "AbortMultipartUpload";
    case operation::list_parts:
      return "ListParts";
    case operation::get_object_tagging:
      return "GetObjectTagging";
    case operation::get_bucket_lifecycle:
      return "GetBucketLifecycleConfiguration";
    case operation::put_bucket_lifecycle:
      return "PutBucketLifecycleConfiguration";
    case operation::delete_bucket_lifecycle:
      return "DeleteBucketLifecycle";
  }
  return "Unknown";
}

}  // namespace kvgate::s3
