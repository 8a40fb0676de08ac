// Value types describing objects, parts and listings: what the engine stores
// about an object besides its bytes. Plain data; no behaviour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kvgate::erasure {

// An S3 additional checksum as the client supplied it (value is the base64
// text the client sent; the engine stores it, the gateway validates it).
struct s3_checksum {
  std::string algorithm;  // "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" or empty
  std::string type;       // "FULL_OBJECT" or "COMPOSITE" (empty when algorithm is empty)
  std::string value;      // base64; for COMPOSITE ends with "-N"
};

// Attributes set when an object (or a multipart upload) is created and returned
// unchanged on HEAD/GET.
struct object_attrs {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  std::vector<std::pair<std::string, std::string>> user_metadata;  // x-amz-meta-<name>, value
  std::string owner;  // access key that created the object
};

struct part_info {
  int number = 0;  // S3 part number 1..10000
  std::uint64_t size = 0;
  std::string etag;      // quoted hex MD5 as the gateway computed it, e.g. "\"abc...\""
  s3_checksum checksum;  // per-part checksum, if any
  std::int64_t mtime_ns = 0;
};

struct object_info {
  std::string bucket;
  std::string key;
  std::uint64_t size = 0;
  std::string etag;           // quoted; "\"<md5>\"" or "\"<md5>-N\"" for multipart
  std::int64_t mtime_ns = 0;  // Unix time, nanoseconds
  std::string data_id;        // 32 hex chars; identifies this version's bytes
  object_attrs attrs;
  s3_checksum checksum;          // whole-object checksum, if any
  std::vector<part_info> parts;  // empty for single-part objects
  bool multipart = false;
};

// Byte range [first, last] inclusive, already clamped by the caller to the
// object size. An empty optional means the whole object.
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t length() const noexcept { return last - first + 1; }
};

struct bucket_info {
  std::string name;
  std::int64_t created_ns = 0;
  std::string owner;
};

// Preconditions evaluated atomically with the commit of a PUT or
// CompleteMultipartUpload (under the key's lock).
struct commit_conditions {
  bool if_none_match_star = false;      // fail if the key exists
  std::optional<std::string> if_match;  // fail unless the current ETag equals this (quoted)
};

struct list_params {
  std::string prefix;
  std::string delimiter;    // empty = no grouping
  std::string start_after;  // exclusive; marker / start-after / decoded continuation token
  int max_keys = 1000;      // 0..1000
};

struct list_entry {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::int64_t mtime_ns = 0;
  std::string owner;
};

struct list_result {
  std::vector<list_entry> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  // The last key or common prefix returned; pass as start_after to continue.
  std::string next_start_after;
};

struct upload_info {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::int64_t initiated_ns = 0;
  object_attrs attrs;
  std::string checksum_algorithm;  // declared at CreateMultipartUpload, may be empty
  std::string checksum_type;       // "COMPOSITE" or "FULL_OBJECT"
};

struct list_uploads_params {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string upload_id_marker;
  int max_uploads = 1000;
};

struct list_uploads_result {
  std::vector<upload_info> uploads;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

struct list_parts_result {
  std::vector<part_info> parts;
  bool truncated = false;
  int next_part_number_marker = 0;
};

// A part named in CompleteMultipartUpload.
struct completed_part {
  int number = 0;
  std::string etag;  // as the client sent it (quotes optional)
};

}  // namespace kvgate::erasure
