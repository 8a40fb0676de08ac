// Non-owning views of the parts of an HTTP request that signing looks at.
//
// The gateway builds these from its Beast request and the SDK from its own
// request description; neither type outlives the request it points into.
#pragma once

#include <span>
#include <string_view>

#include "kvgate/protocol/uri.h"

namespace kvgate::protocol {

struct header_field {
  std::string_view name;   // any case
  std::string_view value;  // as received
};
using header_list = std::span<const header_field>;

// First header with this name (case-insensitive), or nullptr.
const header_field* find_header(header_list headers, std::string_view name) noexcept;

bool iequals(std::string_view a, std::string_view b) noexcept;

struct request_view {
  std::string_view method;    // "GET", ...
  std::string_view path;      // raw path as sent, still percent-encoded
  const query_params* query;  // decoded parameters (never null)
  header_list headers;
};

}  // namespace kvgate::protocol
