// Multipart response bodies.
#include "kvgate/s3xml/multipart_documents.h"

#include "xml_writer.h"

namespace kvgate::s3xml {

std::string render_initiate_upload(const initiate_upload_document& doc) {
  xml_writer out("InitiateMultipartUploadResult");
  add_text(out.root(), "Bucket", doc.bucket);
  add_text(out.root(), "Key", doc.key);
  add_text(out.root(), "UploadId", doc.upload_id);
  return out.str();
}

std::string render_complete_upload(const complete_upload_document& doc) {
  xml_writer out("CompleteMultipartUploadResult");
  pugi::xml_node root = out.root();
  add_text(root, "Location", doc.location);
  add_text(root, "Bucket", doc.bucket);
  add_text(root, "Key", doc.key);
  add_text(root, "ETag", doc.etag);
  add_checksum(root, doc.checksum);
  if (!doc.checksum.algorithm.empty() && !doc.checksum.type.empty()) {
    add_text(root, "ChecksumType", doc.checksum.type);
  }
  return out.str();
}

std::string render_list_parts(const list_parts_document& doc) {
  xml_writer out("ListPartsResult");
  pugi::xml_node root = out.root();
  add_text(root, "Bucket", doc.bucket);
  add_text(root, "Key", doc.key);
  add_text(root, "UploadId", doc.upload_id);
  add_owner(root, "Initiator", doc.upload_owner);
  add_owner(root, "Owner", doc.upload_owner);
  add_text(root, "StorageClass", kStandardStorageClass);
  add_number(root, "PartNumberMarker", static_cast<std::uint64_t>(doc.part_number_marker));
  if (doc.truncated) {
    add_number(root, "NextPartNumberMarker",
               static_cast<std::uint64_t>(doc.next_part_number_marker));
  }
  add_number(root, "MaxParts", static_cast<std::uint64_t>(doc.max_parts));
  add_bool(root, "IsTruncated", doc.truncated);
  if (!doc.checksum_algorithm.empty()) {
    add_text(root, "ChecksumAlgorithm", doc.checksum_algorithm);
    if (!doc.checksum_type.empty()) add_text(root, "ChecksumType", doc.checksum_type);
  }
  for (const auto& part : doc.parts) {
    pugi::xml_node node = root.append_child("Part");
    add_number(node, "PartNumber", static_cast<std::uint64_t>(part.number));
    add_timestamp(node, "LastModified", part.mtime_ns);
    add_text(node, "ETag", part.etag);
    add_number(node, "Size", part.size);
    add_checksum(node, part.checksum);
  }
  return out.str();
}

std::string render_list_uploads(const list_uploads_document& doc) {
  const bool enc = doc.url_encoding;
  xml_writer out("ListMultipartUploadsResult");
  pugi::xml_node root = out.root();
  add_text(root, "Bucket", doc.bucket);
  add_listing_text(root, "KeyMarker", doc.key_marker, enc);
  add_text(root, "UploadIdMarker", doc.upload_id_marker);
  if (doc.truncated) {
    add_listing_text(root, "NextKeyMarker", doc.next_key_marker, enc);
    add_text(root, "NextUploadIdMarker", doc.next_upload_id_marker);
  }
  add_listing_text(root, "Prefix", doc.prefix, enc);
  if (!doc.delimiter.empty()) add_listing_text(root, "Delimiter", doc.delimiter, enc);
  add_number(root, "MaxUploads", static_cast<std::uint64_t>(doc.max_uploads));
  add_bool(root, "IsTruncated", doc.truncated);
  if (enc) add_text(root, "EncodingType", "url");
  for (const auto& upload : doc.uploads) {
    pugi::xml_node node = root.append_child("Upload");
    add_listing_text(node, "Key", upload.key, enc);
    add_text(node, "UploadId", upload.upload_id);
    add_owner(node, "Initiator", upload.upload_owner);
    add_owner(node, "Owner", upload.upload_owner);
    add_text(node, "StorageClass", kStandardStorageClass);
    add_timestamp(node, "Initiated", upload.initiated_ns);
    if (!upload.checksum_algorithm.empty()) {
      add_text(node, "ChecksumAlgorithm", upload.checksum_algorithm);
      if (!upload.checksum_type.empty()) add_text(node, "ChecksumType", upload.checksum_type);
    }
  }
  for (const auto& prefix : doc.common_prefixes) {
    add_listing_text(root.append_child("CommonPrefixes"), "Prefix", prefix, enc);
  }
  return out.str();
}

}  // namespace kvgate::s3xml
