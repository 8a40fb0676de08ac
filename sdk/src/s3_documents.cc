#include "s3_documents.h"

#include <charconv>
#include <pugixml.hpp>

namespace kvgate::sdk::detail {
namespace {

bool load(pugi::xml_document& doc, std::string_view xml) {
  return static_cast<bool>(doc.load_buffer(xml.data(), xml.size()));
}

std::string child_text(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

// The document without indentation.
std::string save_raw(const pugi::xml_document& doc) {
  struct string_writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override {
      out.append(static_cast<const char*>(data), size);
    }
  } writer;
  doc.save(writer, "", pugi::format_raw);
  return writer.out;
}

}  // namespace

std::optional<s3_error_body> parse_error_body(std::string_view xml) {
  pugi::xml_document doc;
  if (!load(doc, xml)) return std::nullopt;
  const auto error = doc.child("Error");
  if (!error) return std::nullopt;
  return s3_error_body{child_text(error, "Code"), child_text(error, "Message"),
                       child_text(error, "RequestId")};
}

bool is_error_document(std::string_view xml) {
  pugi::xml_document doc;
  return load(doc, xml) && static_cast<bool>(doc.child("Error"));
}

std::optional<std::string> parse_upload_id(std::string_view xml) {
  pugi::xml_document doc;
  if (!load(doc, xml)) return std::nullopt;
  std::string id = child_text(doc.child("InitiateMultipartUploadResult"), "UploadId");
  if (id.empty()) return std::nullopt;
  return id;
}

std::string render_complete_upload(const std::vector<completed_part>& parts) {
  pugi::xml_document doc;
  auto root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const auto& p : parts) {
    auto part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p.number);
    part.append_child("ETag").text().set(p.etag.c_str());
    if (!p.checksum_crc32c.empty())
      part.append_child("ChecksumCRC32C").text().set(p.checksum_crc32c.c_str());
  }
  return save_raw(doc);
}

std::string render_exists_request(const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  auto root = doc.append_child("Exists");
  for (const auto& k : keys) root.append_child("Object").append_child("Key").text().set(k.c_str());
  return save_raw(doc);
}

std::optional<std::vector<bool>> parse_exists_result(std::string_view xml,
                                                     const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  if (!load(doc, xml)) return std::nullopt;
  const auto root = doc.child("ExistsResult");
  if (!root) return std::nullopt;
  std::vector<bool> out;
  out.reserve(keys.size());
  for (auto o = root.child("Object"); o; o = o.next_sibling("Object")) {
    if (out.size() == keys.size() || child_text(o, "Key") != keys[out.size()]) return std::nullopt;
    const std::string exists = child_text(o, "Exists");
    if (exists != "true" && exists != "false") return std::nullopt;
    out.push_back(exists == "true");
  }
  if (out.size() != keys.size()) return std::nullopt;
  return out;
}

std::optional<list_v2_result> parse_list_v2(std::string_view xml) {
  pugi::xml_document doc;
  if (!load(doc, xml)) return std::nullopt;
  const auto root = doc.child("ListBucketResult");
  if (!root) return std::nullopt;
  list_v2_result out;
  out.truncated = std::string_view(root.child("IsTruncated").text().as_string()) == "true";
  out.next_token = child_text(root, "NextContinuationToken");
  for (auto c = root.child("Contents"); c; c = c.next_sibling("Contents")) {
    list_entry e;
    e.key = child_text(c, "Key");
    const std::string size = child_text(c, "Size");
    std::from_chars(size.data(), size.data() + size.size(), e.size);
    e.etag = child_text(c, "ETag");
    e.last_modified = child_text(c, "LastModified");
    out.page.entries.push_back(std::move(e));
  }
  for (auto p = root.child("CommonPrefixes"); p; p = p.next_sibling("CommonPrefixes"))
    out.page.common_prefixes.push_back(child_text(p, "Prefix"));
  return out;
}

}  // namespace kvgate::sdk::detail
