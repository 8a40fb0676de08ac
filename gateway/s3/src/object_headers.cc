#include "kvgate/s3/object_headers.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "kvgate/protocol/http_view.h"

namespace kvgate::s3 {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kMetaPrefix = "x-amz-meta-";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string field(const http::fields& h, http::field f) {
  auto it = h.find(f);
  return it == h.end() ? std::string() : std::string(it->value());
}

}  // namespace

std::string strip_aws_chunked(std::string_view content_encoding) {
  std::string out;
  while (!content_encoding.empty()) {
    const auto comma = content_encoding.find(',');
    auto item = content_encoding.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty() && !protocol::iequals(item, "aws-chunked")) {
      if (!out.empty()) out += ',';
      out += item;
    }
    if (comma == std::string_view::npos) break;
    content_encoding.remove_prefix(comma + 1);
  }
  return out;
}

erasure::object_attrs attrs_from_headers(const http::fields& headers) {
  erasure::object_attrs a;
  a.content_type = field(headers, http::field::content_type);
  a.content_encoding = strip_aws_chunked(field(headers, http::field::content_encoding));
  a.content_disposition = field(headers, http::field::content_disposition);
  a.content_language = field(headers, http::field::content_language);
  a.cache_control = field(headers, http::field::cache_control);
  a.expires = field(headers, http::field::expires);
  for (const auto& f : headers) {
    const auto name = f.name_string();
    if (name.size() > kMetaPrefix.size() &&
        protocol::iequals(name.substr(0, kMetaPrefix.size()), kMetaPrefix)) {
      a.user_metadata.emplace_back(lower(name.substr(kMetaPrefix.size())), std::string(f.value()));
    }
  }
  return a;
}

std::size_t user_metadata_bytes(const erasure::object_attrs& attrs) noexcept {
  std::size_t n = 0;
  for (const auto& [k, v] : attrs.user_metadata) n += k.size() + v.size();
  return n;
}

std::chrono::sys_seconds seconds_from_ns(std::int64_t ns) noexcept {
  return std::chrono::sys_seconds(std::chrono::seconds(ns / 1'000'000'000));
}

std::string http_date_from_ns(std::int64_t ns) {
  const std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", tm);
}

void set_object_headers(http::fields& out, const erasure::object_info& info,
                        const protocol::query_params& query) {
  out.set(http::field::etag, info.etag);
  out.set(http::field::last_modified, http_date_from_ns(info.mtime_ns));
  out.set(http::field::accept_ranges, "bytes");
  const auto& a = info.attrs;
  out.set(http::field::content_type, a.content_type.empty()
                                         ? std::string_view("binary/octet-stream")
                                         : std::string_view(a.content_type));
  if (!a.content_encoding.empty()) out.set(http::field::content_encoding, a.content_encoding);
  if (!a.content_disposition.empty())
    out.set(http::field::content_disposition, a.content_disposition);
  if (!a.content_language.empty()) out.set(http::field::content_language, a.content_language);
  if (!a.cache_control.empty()) out.set(http::field::cache_control, a.cache_control);
  if (!a.expires.empty()) out.set(http::field::expires, a.expires);
  for (const auto& [k, v] : a.user_metadata) out.insert(std::string(kMetaPrefix) + k, v);

  static constexpr std::pair<std::string_view, http::field> kOverrides[] = {
      {"response-content-type", http::field::content_type},
      {"response-content-language", http::field::content_language},
      {"response-expires", http::field::expires},
      {"response-cache-control", http::field::cache_control},
      {"response-content-disposition", http::field::content_disposition},
      {"response-content-encoding", http::field::content_encoding},
  };
  for (const auto& [param, f] : kOverrides) {
    if (const auto* p = protocol::find_param(query, param)) out.set(f, p->value);
  }
}

}  // namespace kvgate::s3
