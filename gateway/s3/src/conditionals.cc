#include "kvgate/s3/conditionals.h"

#include "kvgate/protocol/amz_time.h"

namespace kvgate::s3 {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The opaque part of an entity tag: W/ and quotes removed.
std::string_view opaque(std::string_view tag) noexcept {
  tag = trim(tag);
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') {
    tag = tag.substr(1, tag.size() - 2);
  }
  return tag;
}

}  // namespace

bool etag_list_matches(std::string_view list, std::string_view etag) noexcept {
  const auto want = opaque(etag);
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto item = trim(list.substr(0, comma));
    if (item == "*") return true;
    if (!item.empty() && opaque(item) == want) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

condition_outcome evaluate_read_conditions(const conditional_headers& h, std::string_view etag,
                                           std::chrono::sys_seconds last_modified) noexcept {
  // RFC 7232 section 6: If-Match, else If-Unmodified-Since; then If-None-Match,
  // else If-Modified-Since. Unparsable dates are ignored (RFC 7232 3.3/3.4).
  if (h.if_match) {
    if (!etag_list_matches(*h.if_match, etag)) return condition_outcome::precondition_failed;
  } else if (h.if_unmodified_since) {
    auto t = protocol::parse_http_date(trim(*h.if_unmodified_since));
    if (t && last_modified > *t) return condition_outcome::precondition_failed;
  }
  if (h.if_none_match) {
    if (etag_list_matches(*h.if_none_match, etag)) return condition_outcome::not_modified;
  } else if (h.if_modified_since) {
    auto t = protocol::parse_http_date(trim(*h.if_modified_since));
    if (t && last_modified <= *t) return condition_outcome::not_modified;
  }
  return condition_outcome::proceed;
}

bool if_range_holds(std::string_view if_range, std::string_view etag,
                    std::chrono::sys_seconds last_modified) noexcept {
  if_range = trim(if_range);
  if (if_range.starts_with("\"") || if_range.starts_with("W/")) {
    // Weak validators never match for If-Range (RFC 7233 3.2).
    return !if_range.starts_with("W/") && opaque(if_range) == opaque(etag);
  }
  auto t = protocol::parse_http_date(if_range);
  return t && *t == last_modified;
}

}  // namespace kvgate::s3
