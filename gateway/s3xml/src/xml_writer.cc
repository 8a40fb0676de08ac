// Shared pugixml builder for the response renderers.
#include "xml_writer.h"

#include <sstream>

namespace kvgate::s3xml {

xml_writer::xml_writer(const char* root_name) : root_(doc_.append_child(root_name)) {
  root_.append_attribute("xmlns").set_value(std::string(kS3Namespace).c_str());
}

std::string xml_writer::str() const {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  doc_.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out.str();
}

pugi::xml_node add_text(pugi::xml_node parent, const char* name, std::string_view text) {
  pugi::xml_node node = parent.append_child(name);
  node.text().set(text.data(), text.size());
  return node;
}

pugi::xml_node add_number(pugi::xml_node parent, const char* name, std::uint64_t value) {
  return add_text(parent, name, std::to_string(value));
}

pugi::xml_node add_bool(pugi::xml_node parent, const char* name, bool value) {
  return add_text(parent, name, value ? "true" : "false");
}

pugi::xml_node add_timestamp(pugi::xml_node parent, const char* name, std::int64_t unix_ns) {
  return add_text(parent, name, format_s3_timestamp(unix_ns));
}

void add_owner(pugi::xml_node parent, const char* name, const owner& who) {
  pugi::xml_node node = parent.append_child(name);
  add_text(node, "ID", who.id);
  add_text(node, "DisplayName", who.display_name);
}

void add_checksum(pugi::xml_node parent, const checksum_field& checksum) {
  if (checksum.algorithm.empty()) return;
  const std::string name = "Checksum" + checksum.algorithm;
  add_text(parent, name.c_str(), checksum.value);
}

pugi::xml_node add_listing_text(pugi::xml_node parent, const char* name, std::string_view text,
                                bool url_encoding) {
  return url_encoding ? add_text(parent, name, url_encode_for_listing(text))
                      : add_text(parent, name, text);
}

}  // namespace kvgate::s3xml
