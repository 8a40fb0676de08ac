// Parsers for CompleteMultipartUpload, Delete, Exists and CreateBucketConfiguration.
#include "kvgate/s3xml/request_documents.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "xml_reader.h"

namespace kvgate::s3xml {
namespace {

constexpr std::array<std::string_view, 5> kChecksumAlgorithms = {"CRC32", "CRC32C", "CRC64NVME",
                                                                 "SHA1", "SHA256"};

// Text of a required single child, or missing_element / duplicate_element.
result<std::string> required_text(pugi::xml_node parent, std::string_view name) {
  auto child = unique_child(parent, name);
  if (!child) return child.error();
  if (!*child) return make_error_code(xml_errc::missing_element);
  return element_text(**child);
}

result<int> parse_part_number(std::string_view raw) {
  const std::string_view text = trim_xml_space(raw);
  if (text.empty() || text.size() > 9) {
    return make_error_code(text.empty() ? xml_errc::bad_integer : xml_errc::part_number_range);
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    // from_chars accepts a leading '-': a negative number is a range error.
    return make_error_code(text.front() == '-' && text.size() > 1 ? xml_errc::part_number_range
                                                                  : xml_errc::bad_integer);
  }
  if (value < 1 || value > kMaxXmlPartNumber) return make_error_code(xml_errc::part_number_range);
  return value;
}

result<requested_part> parse_part(pugi::xml_node node) {
  requested_part part;
  auto number_text = required_text(node, "PartNumber");
  if (!number_text) return number_text.error();
  auto number = parse_part_number(*number_text);
  if (!number) return number.error();
  part.number = *number;
  auto etag = required_text(node, "ETag");
  if (!etag) return etag.error();
  part.etag = std::string(trim_xml_space(*etag));
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = local_name(child);
    if (!name.starts_with("Checksum")) continue;
    const std::string_view algorithm = name.substr(8);
    if (std::find(kChecksumAlgorithms.begin(), kChecksumAlgorithms.end(), algorithm) ==
        kChecksumAlgorithms.end()) {
      continue;  // ChecksumType and unknown names are tolerated
    }
    part.checksums.push_back(
        {std::string(algorithm), std::string(trim_xml_space(element_text(child))), std::string()});
  }
  return part;
}

result<bool> parse_quiet(std::string_view raw) {
  const std::string_view text = trim_xml_space(raw);
  auto equals = [text](std::string_view word) {
    return std::equal(text.begin(), text.end(), word.begin(), word.end(),
                      [](char a, char b) { return (a | 0x20) == b; });
  };
  if (equals("true")) return true;
  if (equals("false")) return false;
  return {boost::system::in_place_error, make_error_code(xml_errc::bad_boolean)};
}

}  // namespace

result<std::vector<requested_part>> parse_complete_upload(std::string_view body) {
  pugi::xml_document doc;
  auto root = load_document(doc, body, kMaxCompleteBodyBytes, "CompleteMultipartUpload");
  if (!root) return root.error();
  std::vector<requested_part> parts;
  for (pugi::xml_node child : root->children()) {
    if (child.type() != pugi::node_element || local_name(child) != "Part") continue;
    if (parts.size() == kMaxCompleteParts) return make_error_code(xml_errc::too_many_entries);
    auto part = parse_part(child);
    if (!part) return part.error();
    parts.push_back(std::move(*part));
  }
  if (parts.empty()) return make_error_code(xml_errc::no_entries);
  return parts;
}

result<delete_request> parse_delete_request(std::string_view body) {
  pugi::xml_document doc;
  auto root = load_document(doc, body, kMaxDeleteBodyBytes, "Delete");
  if (!root) return root.error();
  delete_request request;
  auto quiet = unique_child(*root, "Quiet");
  if (!quiet) return quiet.error();
  if (*quiet) {
    auto value = parse_quiet(element_text(**quiet));
    if (!value) return value.error();
    request.quiet = *value;
  }
  for (pugi::xml_node child : root->children()) {
    if (child.type() != pugi::node_element || local_name(child) != "Object") continue;
    if (request.objects.size() == kMaxDeleteObjects)
      return make_error_code(xml_errc::too_many_entries);
    delete_target target;
    auto key = required_text(child, "Key");
    if (!key) return key.error();
    target.key = std::move(*key);
    auto version = unique_child(child, "VersionId");
    if (!version) return version.error();
    if (*version) target.version_id = std::string(trim_xml_space(element_text(**version)));
    request.objects.push_back(std::move(target));
  }
  if (request.objects.empty()) return make_error_code(xml_errc::no_entries);
  return request;
}

result<std::vector<std::string>> parse_exists_request(std::string_view body) {
  pugi::xml_document doc;
  auto root = load_document(doc, body, kMaxExistsBodyBytes, "Exists");
  if (!root) return root.error();
  std::vector<std::string> keys;
  for (pugi::xml_node child : root->children()) {
    if (child.type() != pugi::node_element || local_name(child) != "Object") continue;
    if (keys.size() == kMaxExistsKeys) return make_error_code(xml_errc::too_many_entries);
    auto key = required_text(child, "Key");
    if (!key) return key.error();
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) return make_error_code(xml_errc::no_entries);
  return keys;
}

result<std::string> parse_create_bucket_configuration(std::string_view body) {
  if (trim_xml_space(body).empty()) return std::string();
  pugi::xml_document doc;
  auto root = load_document(doc, body, kMaxBucketConfigBytes, "CreateBucketConfiguration");
  if (!root) return root.error();
  auto location = unique_child(*root, "LocationConstraint");
  if (!location) return location.error();
  if (!*location) return std::string();
  return std::string(trim_xml_space(element_text(**location)));
}

}  // namespace kvgate::s3xml
