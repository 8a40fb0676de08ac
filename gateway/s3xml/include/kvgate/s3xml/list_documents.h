// S3 listing response bodies: ListAllMyBucketsResult, ListBucketResult (v1 and
// v2), ListVersionsResult.
//
// The caller fills a plain document struct from the engine's listing and
// renders it; every text node is escaped by pugixml (keys may hold any byte
// sequence S3 allows, including '&', '<' and control characters). With
// url_encoding set, keys, prefixes, delimiter and markers are percent-encoded
// and <EncodingType>url</EncodingType> is added. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kvgate/s3xml/document_parts.h"

namespace kvgate::s3xml {

struct bucket_entry {
  std::string name;
  std::int64_t created_ns = 0;
};

struct list_buckets_document {
  owner bucket_owner;
  std::vector<bucket_entry> buckets;
};
std::string render_list_buckets(const list_buckets_document& doc);

// One <Contents> (or <Version>) entry.
struct object_entry {
  std::string key;
  std::int64_t mtime_ns = 0;
  std::string etag;  // quoted
  std::uint64_t size = 0;
  std::optional<owner> object_owner;  // rendered when set
  std::string checksum_algorithm;     // <ChecksumAlgorithm> when non-empty
  std::string checksum_type;          // <ChecksumType> when non-empty
};

// Fields common to every object listing.
struct listing_page {
  std::string bucket;
  std::string prefix;
  std::string delimiter;  // omitted when empty
  int max_keys = 1000;
  bool truncated = false;
  bool url_encoding = false;
  std::vector<object_entry> objects;
  std::vector<std::string> common_prefixes;
};

// ListObjects (v1). NextMarker is rendered when truncated and non-empty.
struct list_objects_v1_document {
  listing_page page;
  std::string marker;
  std::string next_marker;
};
std::string render_list_objects_v1(const list_objects_v1_document& doc);

// ListObjectsV2. KeyCount = objects + common prefixes. ContinuationToken and
// StartAfter are rendered when the request carried them; NextContinuationToken
// when truncated. Tokens are opaque and never url-encoded.
struct list_objects_v2_document {
  listing_page page;
  std::optional<std::string> continuation_token;
  std::optional<std::string> start_after;
  std::string next_continuation_token;
};
std::string render_list_objects_v2(const list_objects_v2_document& doc);

// ListObjectVersions over an unversioned bucket: each object is its only,
// latest version with VersionId "null".
struct list_versions_document {
  listing_page page;
  std::string key_marker;
  std::string version_id_marker;
  std::string next_key_marker;         // rendered when truncated
  std::string next_version_id_marker;  // rendered when truncated
};
std::string render_list_versions(const list_versions_document& doc);

}  // namespace kvgate::s3xml
