// AWS Signature Version 2 (header and presigned query) for S3.
#include "kvgate/protocol/sigv2.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>

#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/encoding.h"

namespace kvgate::protocol {
namespace {

// Sorted; the S3 sub-resources and response overrides that SigV2 signs.
constexpr std::array<std::string_view, 25> kSubresources = {
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string header_or_empty(const request_view& r, std::string_view name) {
  const auto* h = find_header(r.headers, name);
  return h ? std::string(trim(h->value)) : std::string();
}

std::string canonical_amz_headers(const request_view& r) {
  std::map<std::string, std::string> merged;
  for (const auto& h : r.headers) {
    std::string name(h.name);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.rfind("x-amz-", 0) != 0) continue;
    auto [it, inserted] = merged.try_emplace(name, trim(h.value));
    if (!inserted) it->second.append(",").append(trim(h.value));
  }
  std::string out;
  for (const auto& [name, value] : merged) out.append(name).append(":").append(value).append("\n");
  return out;
}

std::string canonical_resource(const request_view& r) {
  std::vector<const query_param*> subresources;
  for (const auto& p : *r.query) {
    if (is_sigv2_subresource(p.name)) subresources.push_back(&p);
  }
  std::stable_sort(subresources.begin(), subresources.end(),
                   [](const query_param* a, const query_param* b) { return a->name < b->name; });
  std::string out(r.path.empty() ? std::string_view("/") : r.path);
  for (std::size_t i = 0; i < subresources.size(); ++i) {
    out.push_back(i == 0 ? '?' : '&');
    out.append(subresources[i]->name);
    if (subresources[i]->has_value) out.append("=").append(subresources[i]->value);
  }
  return out;
}

result<void> compare(const request_view& request, std::string_view date_line,
                     std::string_view secret, std::string_view received) {
  const std::string expected = sigv2_sign(secret, sigv2_string_to_sign(request, date_line));
  if (!constant_time_equal(expected, received)) return protocol_errc::signature_mismatch;
  return {};
}

}  // namespace

result<sigv2_authorization> parse_sigv2_authorization(std::string_view header) {
  header = trim(header);
  if (header.substr(0, 4) != "AWS ") return protocol_errc::unsupported_auth_algorithm;
  const std::string_view credentials = trim(header.substr(4));
  const auto colon = credentials.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size()) {
    return protocol_errc::auth_header_malformed;
  }
  const std::string_view signature = credentials.substr(colon + 1);
  if (!base64_decode(signature)) return protocol_errc::bad_signature_format;
  return sigv2_authorization{std::string(credentials.substr(0, colon)), std::string(signature)};
}

bool has_sigv2_query_auth(const query_params& query) noexcept {
  return find_param(query, "AWSAccessKeyId") != nullptr;
}

result<sigv2_presigned> parse_sigv2_presigned(const query_params& query) {
  const auto* access_key = find_param(query, "AWSAccessKeyId");
  const auto* expires = find_param(query, "Expires");
  const auto* signature = find_param(query, "Signature");
  if (!access_key || !expires || !signature || access_key->value.empty()) {
    return protocol_errc::query_auth_malformed;
  }
  const std::string& e = expires->value;
  std::int64_t seconds = 0;
  if (e.empty() || e.size() > 12 || e.find_first_not_of("0123456789") != std::string::npos) {
    return protocol_errc::query_auth_malformed;
  }
  std::from_chars(e.data(), e.data() + e.size(), seconds);
  if (!base64_decode(signature->value)) return protocol_errc::bad_signature_format;
  return sigv2_presigned{access_key->value, sys_seconds{std::chrono::seconds{seconds}}, e,
                         signature->value};
}

bool is_sigv2_subresource(std::string_view name) noexcept {
  return std::binary_search(kSubresources.begin(), kSubresources.end(), name);
}

std::string sigv2_string_to_sign(const request_view& request, std::string_view date_or_expires) {
  std::string out;
  out.append(request.method).append("\n");
  out.append(header_or_empty(request, "content-md5")).append("\n");
  out.append(header_or_empty(request, "content-type")).append("\n");
  out.append(date_or_expires).append("\n");
  out.append(canonical_amz_headers(request));
  out.append(canonical_resource(request));
  return out;
}

std::string sigv2_sign(std::string_view secret, std::string_view string_to_sign) {
  return base64_encode(hmac_sha1(as_bytes(secret), as_bytes(string_to_sign)));
}

result<void> verify_sigv2_header(const request_view& request, const sigv2_authorization& auth,
                                 std::string_view secret, sys_seconds now) {
  std::string date_line;
  result<sys_seconds> request_time = protocol_errc::missing_date;
  if (const auto* amz = find_header(request.headers, "x-amz-date")) {
    request_time = parse_http_date(trim(amz->value));
    if (!request_time) request_time = parse_amz_date(trim(amz->value));
  } else if (const auto* date = find_header(request.headers, "date")) {
    date_line = std::string(trim(date->value));
    request_time = parse_http_date(date_line);
  }
  if (!request_time) return request_time.error();
  if (auto skew = check_clock_skew(*request_time, now); !skew) return skew.error();
  return compare(request, date_line, secret, auth.signature);
}

result<void> verify_sigv2_presigned(const request_view& request, const sigv2_presigned& presigned,
                                    std::string_view secret, sys_seconds now) {
  if (now > presigned.expires) return protocol_errc::request_expired;
  return compare(request, presigned.expires_text, secret, presigned.signature);
}

}  // namespace kvgate::protocol
