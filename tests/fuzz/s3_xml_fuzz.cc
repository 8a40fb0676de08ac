// Fuzzes the S3 XML request-body parsers (CompleteMultipartUpload, Delete,
// kvgate's Exists, CreateBucketConfiguration, LifecycleConfiguration) and
// checks the limits they promise, then renders the parsed keys back into a DeleteResult and an
// ExistsResult to exercise escaping.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "kvgate/s3xml/lifecycle_documents.h"
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

  if (auto lifecycle = parse_lifecycle_configuration(input)) {
    if (lifecycle->rules.empty() || lifecycle->rules.size() > kMaxLifecycleRules) std::abort();
    // What was accepted renders to a document that parses back with the same
    // rules and actions (texts may differ by XML end-of-line normalisation).
    auto again = parse_lifecycle_configuration(render_lifecycle_configuration(*lifecycle));
    // (a "&#13;" ID is written as a raw CR that reads back as LF, so two IDs
    // may collide: the only refusal tolerated here).
    if (!again && again.error() != xml_errc::lifecycle_duplicate_id) std::abort();
    if (again && again->rules.size() != lifecycle->rules.size()) std::abort();
    for (std::size_t i = 0; again && i < again->rules.size(); ++i) {
      const auto& a = again->rules[i];
      const auto& b = lifecycle->rules[i];
      if (a.enabled != b.enabled || a.expiration_days != b.expiration_days ||
          a.expiration_date != b.expiration_date || a.abort_upload_days != b.abort_upload_days)
        std::abort();
    }
  } else if (lifecycle.error().category() != xml_category()) {
    std::abort();
  }

  if (auto location = parse_create_bucket_configuration(input); !location) {
    if (location.error().category() != xml_category()) std::abort();
  }
  return 0;
}
