// Strict reading primitives for the request-body parsers.
#include "xml_reader.h"

namespace kvgate::s3xml {

result<pugi::xml_node> load_document(pugi::xml_document& doc, std::string_view body,
                                     std::size_t max_bytes, std::string_view root_name) {
  if (body.size() > max_bytes) return make_error_code(xml_errc::body_too_large);
  // parse_ws_pcdata keeps whitespace-only text so a key of "  " survives;
  // no DOCTYPE entity expansion exists in pugixml.
  constexpr unsigned kOptions = pugi::parse_default | pugi::parse_ws_pcdata;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), kOptions, pugi::encoding_utf8);
  if (!parsed) return make_error_code(xml_errc::not_well_formed);
  pugi::xml_node root = doc.document_element();
  if (!root) return make_error_code(xml_errc::not_well_formed);
  if (local_name(root) != root_name) return make_error_code(xml_errc::wrong_root);
  return root;
}

std::string_view local_name(pugi::xml_node node) noexcept {
  std::string_view name = node.name();
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos)
    name.remove_prefix(colon + 1);
  return name;
}

result<std::optional<pugi::xml_node>> unique_child(pugi::xml_node parent, std::string_view name) {
  std::optional<pugi::xml_node> found;
  for (pugi::xml_node child : parent.children()) {
    if (child.type() != pugi::node_element || local_name(child) != name) continue;
    if (found) return make_error_code(xml_errc::duplicate_element);
    found = child;
  }
  return found;
}

std::string element_text(pugi::xml_node node) {
  std::string text;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
      text += child.value();
  }
  return text;
}

std::string_view trim_xml_space(std::string_view text) noexcept {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

}  // namespace kvgate::s3xml
