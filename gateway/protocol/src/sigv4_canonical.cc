// SigV4 canonical request, string to sign, signing key and signature.
#include <algorithm>

#include "kvgate/protocol/sigv4.h"

namespace kvgate::protocol {

std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string canonical_query_string(const query_params& query, std::string_view skip) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& p : query) {
    if (!skip.empty() && p.name == skip) continue;
    encoded.emplace_back(uri_encode(p.name, slash_encoding::encode),
                         uri_encode(p.value, slash_encoding::encode));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

result<std::string> canonical_request(const request_view& request,
                                      const std::vector<std::string>& signed_headers,
                                      std::string_view payload_hash,
                                      std::string_view skip_query_param) {
  std::string out;
  out.reserve(512);
  out.append(request.method).push_back('\n');
  out.append(request.path.empty() ? std::string_view("/") : request.path).push_back('\n');
  out.append(canonical_query_string(*request.query, skip_query_param)).push_back('\n');
  for (const auto& name : signed_headers) {
    bool found = false;
    out.append(name).push_back(':');
    for (const auto& h : request.headers) {
      if (!iequals(h.name, name)) continue;
      if (found) out.push_back(',');
      out.append(canonical_header_value(h.value));
      found = true;
    }
    if (!found) return protocol_errc::missing_signed_header;
    out.push_back('\n');
  }
  out.push_back('\n');
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    if (i != 0) out.push_back(';');
    out.append(signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical) {
  std::string out;
  out.reserve(128 + scope.size());
  out.append(kSigV4Algorithm).append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(hex_encode(sha256(canonical)));
  return out;
}

signing_key derive_signing_key(std::string_view secret, std::string_view date,
                               std::string_view region, std::string_view service) {
  const std::string k_secret = "AWS4" + std::string(secret);
  const auto k_date = hmac_sha256(as_bytes(k_secret), as_bytes(date));
  const auto k_region = hmac_sha256(k_date, as_bytes(region));
  const auto k_service = hmac_sha256(k_region, as_bytes(service));
  return hmac_sha256(k_service, as_bytes("aws4_request"));
}

std::string sign(const signing_key& key, std::string_view string_to_sign) {
  return hex_encode(hmac_sha256(key, as_bytes(string_to_sign)));
}

}  // namespace kvgate::protocol
