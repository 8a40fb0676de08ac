// UTF-8 validation for names that end up in XML (object keys in listings):
// RFC 3629 well-formed sequences only. Pure functions, thread-safe.
#pragma once

#include <string_view>

namespace kvgate::protocol {

// True if `text` is well-formed UTF-8: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

// True if `key` can be an object key: well-formed UTF-8 without U+0000
// (XML 1.0 cannot carry NUL, so a listing could not name it).
[[nodiscard]] bool is_valid_object_key(std::string_view key) noexcept;

}  // namespace kvgate::protocol
