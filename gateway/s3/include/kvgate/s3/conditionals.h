// HTTP conditional requests (RFC 7232 section 6 precedence, as S3 applies
// them): If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since for
// GET/HEAD, If-Range for ranged GETs, and the ETag list matching they share.
// Pure functions over header values, thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace kvgate::s3 {

struct conditional_headers {
  std::optional<std::string_view> if_match;
  std::optional<std::string_view> if_none_match;
  std::optional<std::string_view> if_modified_since;
  std::optional<std::string_view> if_unmodified_since;
};

enum class condition_outcome { proceed, not_modified, precondition_failed };

// `etag` quoted as stored; `last_modified` at one-second resolution.
condition_outcome evaluate_read_conditions(const conditional_headers& h, std::string_view etag,
                                           std::chrono::sys_seconds last_modified) noexcept;

// True when `list` ("*", or comma-separated entity tags, quoted or not, weak
// or strong) names `etag`.
bool etag_list_matches(std::string_view list, std::string_view etag) noexcept;

// If-Range: true when the range should be honoured (the validator is the
// current ETag, or an HTTP date equal to Last-Modified).
bool if_range_holds(std::string_view if_range, std::string_view etag,
                    std::chrono::sys_seconds last_modified) noexcept;

}  // namespace kvgate::s3
