// Private: the strict reading primitives the request-body parsers share:
// size-limited loading, local-name matching (namespace prefixes ignored),
// single-child lookup and text extraction across PCDATA/CDATA pieces.
//
// Free functions over pugixml nodes; the nodes belong to the caller's
// document, which must outlive them.
#pragma once

#include <cstddef>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "kvgate/s3xml/xml_errc.h"

namespace kvgate::s3xml {

// Loads body into doc and returns its root element, checking the byte limit,
// well-formedness and the root's local name.
[[nodiscard]] result<pugi::xml_node> load_document(pugi::xml_document& doc, std::string_view body,
                                                   std::size_t max_bytes,
                                                   std::string_view root_name);

// Element name without a namespace prefix ("s3:Part" -> "Part").
std::string_view local_name(pugi::xml_node node) noexcept;

// The only child element named `name`: empty optional when absent,
// duplicate_element when it appears twice.
[[nodiscard]] result<std::optional<pugi::xml_node>> unique_child(pugi::xml_node parent,
                                                                 std::string_view name);

// Concatenated text of the element's PCDATA and CDATA children.
std::string element_text(pugi::xml_node node);

// text without leading and trailing XML whitespace.
std::string_view trim_xml_space(std::string_view text) noexcept;

}  // namespace kvgate::s3xml
