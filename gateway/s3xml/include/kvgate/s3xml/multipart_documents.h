// S3 multipart response bodies: InitiateMultipartUploadResult,
// CompleteMultipartUploadResult, ListPartsResult, ListMultipartUploadsResult.
//
// Plain document structs rendered with pugixml (all text escaped). Pure
// functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kvgate/s3xml/document_parts.h"

namespace kvgate::s3xml {

struct initiate_upload_document {
  std::string bucket;
  std::string key;
  std::string upload_id;
};
std::string render_initiate_upload(const initiate_upload_document& doc);

// checksum.type is rendered as <ChecksumType> when set.
struct complete_upload_document {
  std::string location;  // absolute URL or path of the object
  std::string bucket;
  std::string key;
  std::string etag;  // quoted "<md5>-N"
  checksum_field checksum;
};
std::string render_complete_upload(const complete_upload_document& doc);

struct part_entry {
  int number = 0;
  std::int64_t mtime_ns = 0;
  std::string etag;
  std::uint64_t size = 0;
  checksum_field checksum;  // per-part checksum (type not rendered)
};

struct list_parts_document {
  std::string bucket;
  std::string key;
  std::string upload_id;
  owner upload_owner;  // rendered as both <Initiator> and <Owner>
  int part_number_marker = 0;
  int next_part_number_marker = 0;  // rendered when truncated
  int max_parts = 1000;
  bool truncated = false;
  std::string checksum_algorithm;  // declared at CreateMultipartUpload, may be empty
  std::string checksum_type;
  std::vector<part_entry> parts;
};
std::string render_list_parts(const list_parts_document& doc);

struct upload_entry {
  std::string key;
  std::string upload_id;
  owner upload_owner;
  std::int64_t initiated_ns = 0;
  std::string checksum_algorithm;
  std::string checksum_type;
};

// Keys, prefixes, delimiter and key markers are percent-encoded with
// url_encoding (upload ids are not).
struct list_uploads_document {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string upload_id_marker;
  std::string next_key_marker;
  std::string next_upload_id_marker;
  int max_uploads = 1000;
  bool truncated = false;
  bool url_encoding = false;
  std::vector<upload_entry> uploads;
  std::vector<std::string> common_prefixes;
};
std::string render_list_uploads(const list_uploads_document& doc);

}  // namespace kvgate::s3xml
