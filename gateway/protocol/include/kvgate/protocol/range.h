// The HTTP Range header with S3 semantics.
//
// parse_range() never fails: like S3, anything it does not understand
// (malformed syntax, several ranges, a unit other than bytes, first > last)
// is treated as "no range" and the whole object is served. resolve() then
// applies the object size: ends past EOF are clamped, a suffix longer than the
// object is the whole object, and a start at/after EOF or a zero-length suffix
// is unsatisfiable (protocol_errc::invalid_range -> S3 InvalidRange, 416).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "kvgate/protocol/result.h"

namespace kvgate::protocol {

struct no_range {
  friend bool operator==(const no_range&, const no_range&) = default;
};
struct closed_range {  // bytes=first-last
  std::uint64_t first;
  std::uint64_t last;
  friend bool operator==(const closed_range&, const closed_range&) = default;
};
struct open_range {  // bytes=first-
  std::uint64_t first;
  friend bool operator==(const open_range&, const open_range&) = default;
};
struct suffix_range {  // bytes=-length
  std::uint64_t length;
  friend bool operator==(const suffix_range&, const suffix_range&) = default;
};

using range_spec = std::variant<no_range, closed_range, open_range, suffix_range>;

range_spec parse_range(std::string_view header) noexcept;

// The bytes to serve. `partial` is false for no_range (200, whole object) and
// true otherwise (206 with Content-Range), even when the range covers the
// whole object.
struct resolved_range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool partial = false;
  friend bool operator==(const resolved_range&, const resolved_range&) = default;
};

[[nodiscard]] result<resolved_range> resolve(const range_spec& spec,
                                             std::uint64_t object_size) noexcept;

// "bytes first-last/size"; precondition: r.partial and r.length > 0.
std::string content_range(const resolved_range& r, std::uint64_t object_size);
// "bytes */size" for a 416 answer.
std::string unsatisfied_content_range(std::uint64_t object_size);

}  // namespace kvgate::protocol
