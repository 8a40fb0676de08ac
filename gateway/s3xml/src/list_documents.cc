// ListAllMyBucketsResult, ListBucketResult (v1/v2) and ListVersionsResult.
#include "kvgate/s3xml/list_documents.h"

#include "xml_writer.h"

namespace kvgate::s3xml {
namespace {

void add_entry_body(pugi::xml_node entry, const object_entry& obj) {
  add_timestamp(entry, "LastModified", obj.mtime_ns);
  add_text(entry, "ETag", obj.etag);
  if (!obj.checksum_algorithm.empty()) add_text(entry, "ChecksumAlgorithm", obj.checksum_algorithm);
  if (!obj.checksum_type.empty()) add_text(entry, "ChecksumType", obj.checksum_type);
  add_number(entry, "Size", obj.size);
  if (obj.object_owner) add_owner(entry, "Owner", *obj.object_owner);
  add_text(entry, "StorageClass", kStandardStorageClass);
}

void add_contents(pugi::xml_node root, const listing_page& page) {
  for (const auto& obj : page.objects) {
    pugi::xml_node entry = root.append_child("Contents");
    add_listing_text(entry, "Key", obj.key, page.url_encoding);
    add_entry_body(entry, obj);
  }
}

void add_common_prefixes(pugi::xml_node root, const listing_page& page) {
  for (const auto& prefix : page.common_prefixes) {
    add_listing_text(root.append_child("CommonPrefixes"), "Prefix", prefix, page.url_encoding);
  }
}

void add_delimiter_and_encoding(pugi::xml_node root, const listing_page& page) {
  if (!page.delimiter.empty())
    add_listing_text(root, "Delimiter", page.delimiter, page.url_encoding);
  if (page.url_encoding) add_text(root, "EncodingType", "url");
}

}  // namespace

std::string render_list_buckets(const list_buckets_document& doc) {
  xml_writer out("ListAllMyBucketsResult");
  add_owner(out.root(), "Owner", doc.bucket_owner);
  pugi::xml_node buckets = out.root().append_child("Buckets");
  for (const auto& bucket : doc.buckets) {
    pugi::xml_node node = buckets.append_child("Bucket");
    add_text(node, "Name", bucket.name);
    add_timestamp(node, "CreationDate", bucket.created_ns);
  }
  return out.str();
}

std::string render_list_objects_v1(const list_objects_v1_document& doc) {
  const listing_page& page = doc.page;
  xml_writer out("ListBucketResult");
  pugi::xml_node root = out.root();
  add_text(root, "Name", page.bucket);
  add_listing_text(root, "Prefix", page.prefix, page.url_encoding);
  add_listing_text(root, "Marker", doc.marker, page.url_encoding);
  if (page.truncated && !doc.next_marker.empty()) {
    add_listing_text(root, "NextMarker", doc.next_marker, page.url_encoding);
  }
  add_number(root, "MaxKeys", static_cast<std::uint64_t>(page.max_keys));
  add_delimiter_and_encoding(root, page);
  add_bool(root, "IsTruncated", page.truncated);
  add_contents(root, page);
  add_common_prefixes(root, page);
  return out.str();
}

std::string render_list_objects_v2(const list_objects_v2_document& doc) {
  const listing_page& page = doc.page;
  xml_writer out("ListBucketResult");
  pugi::xml_node root = out.root();
  add_text(root, "Name", page.bucket);
  add_listing_text(root, "Prefix", page.prefix, page.url_encoding);
  if (doc.start_after) add_listing_text(root, "StartAfter", *doc.start_after, page.url_encoding);
  if (doc.continuation_token) add_text(root, "ContinuationToken", *doc.continuation_token);
  if (page.truncated) add_text(root, "NextContinuationToken", doc.next_continuation_token);
  add_number(root, "KeyCount", page.objects.size() + page.common_prefixes.size());
  add_number(root, "MaxKeys", static_cast<std::uint64_t>(page.max_keys));
  add_delimiter_and_encoding(root, page);
  add_bool(root, "IsTruncated", page.truncated);
  add_contents(root, page);
  add_common_prefixes(root, page);
  return out.str();
}

std::string render_list_versions(const list_versions_document& doc) {
  const listing_page& page = doc.page;
  xml_writer out("ListVersionsResult");
  pugi::xml_node root = out.root();
  add_text(root, "Name", page.bucket);
  add_listing_text(root, "Prefix", page.prefix, page.url_encoding);
  add_listing_text(root, "KeyMarker", doc.key_marker, page.url_encoding);
  add_text(root, "VersionIdMarker", doc.version_id_marker);
  if (page.truncated) {
    add_listing_text(root, "NextKeyMarker", doc.next_key_marker, page.url_encoding);
    add_text(root, "NextVersionIdMarker", doc.next_version_id_marker);
  }
  add_number(root, "MaxKeys", static_cast<std::uint64_t>(page.max_keys));
  add_delimiter_and_encoding(root, page);
  add_bool(root, "IsTruncated", page.truncated);
  for (const auto& obj : page.objects) {
    pugi::xml_node entry = root.append_child("Version");
    add_listing_text(entry, "Key", obj.key, page.url_encoding);
    add_text(entry, "VersionId", "null");
    add_bool(entry, "IsLatest", true);
    add_entry_body(entry, obj);
  }
  add_common_prefixes(root, page);
  return out.str();
}

}  // namespace kvgate::s3xml
