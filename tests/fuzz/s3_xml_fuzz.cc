// Fuzzes the S3 XML request-body parsers (CompleteMultipartUpload, Delete,
// kvgate's Exists, CreateBucketConfiguration) and checks the limits they
// promise, then renders the parsed keys back into a DeleteResult and an
// ExistsResult to exercise escaping.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "kvgate/s3xml/object_documents.h"
#include "kvgate/s3xml/request_documents.h"

using namespace kvgate::s3xml;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto parts = parse_complete_upload(input)) {
    if (parts->empty() || parts->size() > kMaxCompleteParts) std::abort();
    for (const auto& part : *parts) {
      if (part.number < 1 || part.number > kMaxXmlPartNumber) std::abort();
    }
  } else if (parts.error().category() != xml_category()) {
    std::abort();
  }

  if (auto request = parse_delete_request(input)) {
    if (request->objects.empty() || request->objects.size() > kMaxDeleteObjects) std::abort();
    delete_result_document doc;
    doc.quiet = request->quiet;
    for (const auto& target : request->objects)
      doc.deleted.push_back({target.key, target.version_id});
    if (render_delete_result(doc).empty()) std::abort();
  } else if (request.error().category() != xml_category()) {
    std::abort();
  }

  if (auto keys = parse_exists_request(input)) {
    if (keys->empty() || keys->size() > kMaxExistsKeys) std::abort();
    std::vector<exists_entry> entries;
    for (const auto& key : *keys)
      entries.push_back({key, key.size() % 2 == 0, key.size(), "\"e\"", 0});
    if (render_exists_result(entries).empty()) std::abort();
  } else if (keys.error().category() != xml_category()) {
    std::abort();
  }

  if (auto location = parse_create_bucket_configuration(input); !location) {
    if (location.error().category() != xml_category()) std::abort();
  }
  return 0;
}
