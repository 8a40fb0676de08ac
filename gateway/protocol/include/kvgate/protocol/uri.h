// Percent-encoding, query strings and request targets as S3 and SigV4 use them.
//
// percent_decode is strict: a '%' must be followed by two hex digits, and '+'
// is a literal plus (S3 keys may contain '+'; clients encode spaces as %20).
// Query strings are decoded with the same rule. uri_encode follows SigV4:
// unreserved A-Za-z0-9-._~ are kept, everything else becomes %XX (upper-case
// hex), '/' optionally kept for paths. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kvgate/protocol/result.h"

namespace kvgate::protocol {

[[nodiscard]] result<std::string> percent_decode(std::string_view text);

enum class slash_encoding { keep, encode };
std::string uri_encode(std::string_view text, slash_encoding slash);

// One decoded query parameter. `has_value` distinguishes "a" from "a=".
struct query_param {
  std::string name;
  std::string value;
  bool has_value = false;
  friend bool operator==(const query_param&, const query_param&) = default;
};
using query_params = std::vector<query_param>;

// Splits on '&' (empty pieces are skipped), then on the first '=', and decodes
// both sides; order is preserved, duplicates are kept.
[[nodiscard]] result<query_params> parse_query(std::string_view raw_query);

// First parameter named `name` (case-sensitive), or nullptr.
const query_param* find_param(const query_params& params, std::string_view name) noexcept;

// A request-target split at the first '?'. Both parts are views into the
// target and still percent-encoded.
struct request_target {
  std::string_view path;
  std::string_view query;
  bool has_query = false;
};
request_target split_target(std::string_view target) noexcept;

}  // namespace kvgate::protocol
