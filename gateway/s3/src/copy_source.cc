// x-amz-copy-source and x-amz-copy-source-range.
#include "copy_source.h"

#include <charconv>

#include "kvgate/protocol/uri.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

s3_failure bad_source(std::string message) {
  return {s3_error::invalid_argument, std::move(message)};
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

boost::system::result<copy_source, s3_failure> parse_copy_source(std::string_view header) {
  std::string_view text = header;
  if (const auto q = text.find('?'); q != std::string_view::npos) {
    auto query = protocol::parse_query(text.substr(q + 1));
    if (!query) return bad_source("Invalid copy source query");
    const auto* version = protocol::find_param(*query, "versionId");
    if (version && version->value != "null") return bad_source("Invalid copy source version id");
    text = text.substr(0, q);
  }
  if (!text.empty() && text.front() == '/') text.remove_prefix(1);
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) {
    return bad_source("Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  }
  auto bucket = protocol::percent_decode(text.substr(0, slash));
  auto key = protocol::percent_decode(text.substr(slash + 1));
  if (!bucket || !key) return bad_source("Invalid copy source encoding");
  return copy_source{std::move(*bucket), std::move(*key)};
}

boost::system::result<erasure::byte_range, s3_failure> parse_copy_source_range(
    std::string_view header, std::uint64_t size) {
  constexpr std::string_view kPrefix = "bytes=";
  if (!header.starts_with(kPrefix)) {
    return s3_failure{s3_error::invalid_argument,
                      "The x-amz-copy-source-range value must be of the form bytes=first-last"};
  }
  const std::string_view spec = header.substr(kPrefix.size());
  const auto dash = spec.find('-');
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (dash == std::string_view::npos || !parse_u64(spec.substr(0, dash), first) ||
      !parse_u64(spec.substr(dash + 1), last) || last < first) {
    return s3_failure{s3_error::invalid_argument,
                      "The x-amz-copy-source-range value must be of the form bytes=first-last"};
  }
  if (last >= size) {
    return s3_failure{s3_error::invalid_range,
                      "The specified copy range is outside the source object"};
  }
  return erasure::byte_range{first, last};
}

}  // namespace kvgate::s3
