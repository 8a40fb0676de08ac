// Client-side SigV4: Authorization header and presigned query strings.
#include "kvgate/protocol/sigv4_signer.h"

#include <algorithm>
#include <cctype>

namespace kvgate::protocol {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> sorted_names(const std::vector<header_field>& headers) {
  std::vector<std::string> names;
  for (const auto& h : headers) names.push_back(lower(h.name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out.push_back(';');
    out.append(n);
  }
  return out;
}

bool has_host(const std::vector<owned_header>& headers) {
  return std::any_of(headers.begin(), headers.end(),
                     [](const owned_header& h) { return iequals(h.name, "host"); });
}

}  // namespace

result<signed_request> sign_request(const signing_credentials& credentials,
                                    const request_to_sign& request, sys_seconds now) {
  if (!has_host(request.headers)) return protocol_errc::missing_signed_header;
  signed_request out;
  out.amz_date = format_amz_date(now);
  out.credential = {credentials.access_key, format_scope_date(now), credentials.region,
                    credentials.service};
  out.added_headers.push_back({"x-amz-date", out.amz_date});
  out.added_headers.push_back({"x-amz-content-sha256", request.payload_hash});
  if (credentials.session_token)
    out.added_headers.push_back({"x-amz-security-token", *credentials.session_token});

  std::vector<header_field> view;
  for (const auto& h : request.headers) view.push_back({h.name, h.value});
  for (const auto& h : out.added_headers) view.push_back({h.name, h.value});
  const auto names = sorted_names(view);
  const request_view rv{request.method, request.path, &request.query, view};
  auto canonical = canonical_request(rv, names, request.payload_hash);
  if (!canonical) return canonical.error();

  out.key = derive_signing_key(credentials.secret_key, out.credential.date, credentials.region,
                               credentials.service);
  out.signature = sign(out.key, string_to_sign(out.amz_date, out.credential.scope(), *canonical));
  out.authorization = std::string(kSigV4Algorithm) + " Credential=" + credentials.access_key + "/" +
                      out.credential.scope() + ", SignedHeaders=" + join(names) +
                      ", Signature=" + out.signature;
  out.added_headers.push_back({"authorization", out.authorization});
  return out;
}

result<std::string> presign_query(const signing_credentials& credentials,
                                  const request_to_sign& request, sys_seconds now,
                                  std::chrono::seconds expires) {
  if (expires.count() < 1 || expires > kMaxPresignExpiry) return protocol_errc::expires_too_large;
  if (!has_host(request.headers)) return protocol_errc::missing_signed_header;
  const std::string amz_date = format_amz_date(now);
  const credential_scope credential{credentials.access_key, format_scope_date(now),
                                    credentials.region, credentials.service};
  std::vector<header_field> view;
  for (const auto& h : request.headers) view.push_back({h.name, h.value});
  const auto names = sorted_names(view);

  query_params query = request.query;
  query.push_back({"X-Amz-Algorithm", std::string(kSigV4Algorithm), true});
  query.push_back({"X-Amz-Credential", credentials.access_key + "/" + credential.scope(), true});
  query.push_back({"X-Amz-Date", amz_date, true});
  query.push_back({"X-Amz-Expires", std::to_string(expires.count()), true});
  if (credentials.session_token)
    query.push_back({"X-Amz-Security-Token", *credentials.session_token, true});
  query.push_back({"X-Amz-SignedHeaders", join(names), true});

  const request_view rv{request.method, request.path, &query, view};
  auto canonical = canonical_request(rv, names, kUnsignedPayload);
  if (!canonical) return canonical.error();
  const auto key = derive_signing_key(credentials.secret_key, credential.date, credentials.region,
                                      credentials.service);
  const std::string signature = sign(key, string_to_sign(amz_date, credential.scope(), *canonical));
  return canonical_query_string(query) + "&X-Amz-Signature=" + signature;
}

}  // namespace kvgate::protocol
