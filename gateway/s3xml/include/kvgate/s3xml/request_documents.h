// Parsers for the S3 XML request bodies the gateway accepts:
// CompleteMultipartUpload, Delete (DeleteObjects) and CreateBucketConfiguration.
//
// Elements are matched by local name, so documents with the S3 namespace, with
// none (s3cmd) or with a prefix are all accepted; unknown elements are ignored
// as S3 does. Bodies above the byte limit, documents that are not well-formed
// and documents missing required elements fail with an xml_errc (see
// xml_errc.h for the S3 error each maps to). Semantic checks that need the
// stored upload (part existence, order, ETags, sizes) are the engine's.
// pugixml never expands external entities. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/s3xml/document_parts.h"
#include "kvgate/s3xml/xml_errc.h"

namespace kvgate::s3xml {

inline constexpr std::size_t kMaxCompleteBodyBytes = 4u << 20;  // 10000 parts with checksums
inline constexpr std::size_t kMaxDeleteBodyBytes = 4u << 20;    // 1000 keys of 1 KiB, escaped
inline constexpr std::size_t kMaxBucketConfigBytes = 64u << 10;
inline constexpr std::size_t kMaxCompleteParts = 10000;
inline constexpr std::size_t kMaxDeleteObjects = 1000;
inline constexpr int kMaxXmlPartNumber = 10000;

// One <Part> of CompleteMultipartUpload. etag is as sent (quotes optional).
struct requested_part {
  int number = 0;
  std::string etag;
  std::vector<checksum_field> checksums;  // <ChecksumCRC32> etc., in document order
};

// Fails with no_entries for zero parts, too_many_entries above 10000,
// missing_element for a Part without PartNumber or ETag, bad_integer /
// part_number_range for a bad PartNumber. Order is preserved (the engine
// answers InvalidPartOrder).
[[nodiscard]] result<std::vector<requested_part>> parse_complete_upload(std::string_view body);

struct delete_target {
  std::string key;
  std::string version_id;  // empty when absent
};

struct delete_request {
  bool quiet = false;
  std::vector<delete_target> objects;
};

// Fails with no_entries for zero objects, too_many_entries above 1000,
// missing_element for an Object without Key, bad_boolean for a Quiet that is
// not true/false.
[[nodiscard]] result<delete_request> parse_delete_request(std::string_view body);

// kvgate's batch existence check (docs/api.md): <Exists><Object><Key>…
// Fails with no_entries for zero keys, too_many_entries above
// kMaxExistsKeys, missing_element for an Object without Key.
inline constexpr std::size_t kMaxExistsKeys = 1000;
inline constexpr std::size_t kMaxExistsBodyBytes = 4u << 20;  // 1000 keys of 1 KiB, escaped
[[nodiscard]] result<std::vector<std::string>> parse_exists_request(std::string_view body);

// The LocationConstraint of a CreateBucket body; an empty body (or an
// empty/whitespace-only one) yields "". Other children are tolerated.
[[nodiscard]] result<std::string> parse_create_bucket_configuration(std::string_view body);

}  // namespace kvgate::s3xml
