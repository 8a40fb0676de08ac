// Private: a thin pugixml builder the response renderers share. It fixes the
// declaration, the root namespace and the raw (unindented) output S3 uses, and
// turns every value into an escaped text node.
//
// One xml_writer builds one document; not thread-safe, cheap to create.
#pragma once

#include <cstdint>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "kvgate/s3xml/document_parts.h"

namespace kvgate::s3xml {

class xml_writer {
 public:
  // Creates <root xmlns="http://s3.amazonaws.com/doc/2006-03-01/">.
  explicit xml_writer(const char* root_name);

  pugi::xml_node root() const noexcept { return root_; }

  // <?xml version="1.0" encoding="UTF-8"?>\n followed by the document.
  std::string str() const;

 private:
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

// Appends <name>text</name> under parent; the text is escaped on output
// (embedded NUL bytes are kept by length).
pugi::xml_node add_text(pugi::xml_node parent, const char* name, std::string_view text);
pugi::xml_node add_number(pugi::xml_node parent, const char* name, std::uint64_t value);
pugi::xml_node add_bool(pugi::xml_node parent, const char* name, bool value);
pugi::xml_node add_timestamp(pugi::xml_node parent, const char* name, std::int64_t unix_ns);
// <ID>, <DisplayName> under a new <name> element.
void add_owner(pugi::xml_node parent, const char* name, const owner& who);
// <Checksum{ALGORITHM}>value</...> when an algorithm is set.
void add_checksum(pugi::xml_node parent, const checksum_field& checksum);
// Text that encoding-type=url percent-encodes.
pugi::xml_node add_listing_text(pugi::xml_node parent, const char* name, std::string_view text,
                                bool url_encoding);

}  // namespace kvgate::s3xml
