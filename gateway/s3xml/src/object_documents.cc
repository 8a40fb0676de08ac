// CopyObjectResult, CopyPartResult, DeleteResult, ExistsResult, LocationConstraint.
#include "kvgate/s3xml/object_documents.h"

#include "xml_writer.h"

namespace kvgate::s3xml {
namespace {

std::string render_copy(const char* root_name, const copy_result_document& doc, bool with_type) {
  xml_writer out(root_name);
  add_timestamp(out.root(), "LastModified", doc.mtime_ns);
  add_text(out.root(), "ETag", doc.etag);
  add_checksum(out.root(), doc.checksum);
  if (with_type && !doc.checksum.algorithm.empty() && !doc.checksum.type.empty()) {
    add_text(out.root(), "ChecksumType", doc.checksum.type);
  }
  return out.str();
}

}  // namespace

std::string render_copy_object_result(const copy_result_document& doc) {
  return render_copy("CopyObjectResult", doc, true);
}

std::string render_copy_part_result(const copy_result_document& doc) {
  return render_copy("CopyPartResult", doc, false);
}

std::string render_delete_result(const delete_result_document& doc) {
  xml_writer out("DeleteResult");
  if (!doc.quiet) {
    for (const auto& deleted : doc.deleted) {
      pugi::xml_node node = out.root().append_child("Deleted");
      add_text(node, "Key", deleted.key);
      if (!deleted.version_id.empty()) add_text(node, "VersionId", deleted.version_id);
    }
  }
  for (const auto& error : doc.errors) {
    pugi::xml_node node = out.root().append_child("Error");
    add_text(node, "Key", error.key);
    if (!error.version_id.empty()) add_text(node, "VersionId", error.version_id);
    add_text(node, "Code", error.code);
    add_text(node, "Message", error.message);
  }
  return out.str();
}

std::string render_exists_result(const std::vector<exists_entry>& entries) {
  xml_writer out("ExistsResult");
  for (const auto& e : entries) {
    pugi::xml_node node = out.root().append_child("Object");
    add_text(node, "Key", e.key);
    add_bool(node, "Exists", e.exists);
    if (!e.exists) continue;
    add_number(node, "Size", e.size);
    add_text(node, "ETag", e.etag);
    add_timestamp(node, "LastModified", e.mtime_ns);
  }
  return out.str();
}

std::string render_location_constraint(std::string_view region) {
  xml_writer out("LocationConstraint");
  if (!region.empty()) out.root().text().set(region.data(), region.size());
  return out.str();
}

}  // namespace kvgate::s3xml
