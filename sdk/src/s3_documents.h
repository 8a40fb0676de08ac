// The few S3 XML documents the client reads and writes: error bodies,
// InitiateMultipartUploadResult, CompleteMultipartUpload, ListBucketResult (v2),
// kvgate's Exists / ExistsResult.
// Parsed with pugixml; pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/sdk/client.h"

namespace kvgate::sdk::detail {

struct s3_error_body {
  std::string code;
  std::string message;
  std::string request_id;
};

// nullopt when the body is not an S3 <Error> document.
std::optional<s3_error_body> parse_error_body(std::string_view xml);

// The UploadId of an InitiateMultipartUploadResult.
std::optional<std::string> parse_upload_id(std::string_view xml);

struct completed_part {
  unsigned number = 0;
  std::string etag;
  std::string checksum_crc32c;
};
std::string render_complete_upload(const std::vector<completed_part>& parts);

struct list_v2_result {
  list_page page;
  bool truncated = false;
  std::string next_token;
};
std::optional<list_v2_result> parse_list_v2(std::string_view xml);

// kvgate's BatchExists (docs/api.md): the <Exists> request for `keys`, and
// the per-key answers of an <ExistsResult>; nullopt unless it answers
// exactly `keys`, in order.
std::string render_exists_request(const std::vector<std::string>& keys);
std::optional<std::vector<bool>> parse_exists_result(std::string_view xml,
                                                     const std::vector<std::string>& keys);

// An <Error> inside a 200 CompleteMultipartUpload answer (S3 may send one).
bool is_error_document(std::string_view xml);

}  // namespace kvgate::sdk::detail
