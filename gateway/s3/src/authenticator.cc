#include "kvgate/s3/authenticator.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "kvgate/protocol/sigv2.h"
#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/sigv4_verifier.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;
using auth_outcome = boost::system::result<auth_result, s3_failure>;

s3_failure failure(const std::error_code& ec) {
  return s3_failure{protocol::to_s3_error(ec), {}};
}

// Every x-amz-* header must be covered by the signature, as S3 demands:
// otherwise anyone on the path could add metadata, checksums, conditions,
// x-amz-security-token or x-amz-rdma-* (docs/rdma-protocol.md §6) to a
// request somebody else signed.
std::optional<s3_failure> unsigned_amz_header(const boost::beast::http::request_header<>& header,
                                              const std::vector<std::string>& signed_headers) {
  auto is_signed = [&](std::string_view name) {
    return std::find(signed_headers.begin(), signed_headers.end(), name) != signed_headers.end();
  };
  for (const auto& f : header) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!name.starts_with("x-amz-") || is_signed(name)) continue;
    return s3_failure{s3_error::access_denied,
                      "There were headers present in the request which were not signed: " + name};
  }
  return std::nullopt;
}

s3_failure unknown_key() {
  return s3_failure{s3_error::invalid_access_key_id,
                    "The AWS Access Key Id you provided does not exist in our records."};
}

}  // namespace

auth_outcome authenticate(const boost::beast::http::request_header<>& header, const s3_request& req,
                          const user_directory& users, protocol::sys_seconds now,
                          protocol::signing_key_cache* cache) {
  std::vector<protocol::header_field> fields;
  for (const auto& f : header) fields.push_back({f.name_string(), f.value()});
  protocol::request_view view{header.method_string(), req.raw_path, &req.query, fields};

  const auto auth_it = header.find(boost::beast::http::field::authorization);
  const std::string_view authorization =
      auth_it == header.end() ? std::string_view() : std::string_view(auth_it->value());

  if (authorization.starts_with(protocol::kSigV4Algorithm)) {
    auto parsed = protocol::parse_sigv4_authorization(authorization);
    if (!parsed) return failure(parsed.error());
    if (auto f = unsigned_amz_header(header, parsed->signed_headers)) return *f;
    const user* u = users.find(parsed->credential.access_key);
    if (u == nullptr) return unknown_key();
    auto ctx = protocol::verify_sigv4_header(view, *parsed, u->secret_key, now, cache);
    if (!ctx) return failure(ctx.error());
    return auth_result{u, auth_kind::sigv4_header, std::move(*ctx)};
  }
  if (protocol::has_sigv4_query_auth(req.query)) {
    if (!authorization.empty()) {
      return s3_failure{s3_error::invalid_argument, "Only one auth mechanism allowed"};
    }
    auto parsed = protocol::parse_sigv4_presigned(req.query);
    if (!parsed) return failure(parsed.error());
    if (auto f = unsigned_amz_header(header, parsed->signed_headers)) return *f;
    const user* u = users.find(parsed->credential.access_key);
    if (u == nullptr) return unknown_key();
    auto ctx = protocol::verify_sigv4_presigned(view, *parsed, u->secret_key, now, cache);
    if (!ctx) return failure(ctx.error());
    return auth_result{u, auth_kind::sigv4_presigned, std::move(*ctx)};
  }

  // SigV2 signs the resource "/bucket/key" as sent, whatever the addressing.
  std::string resource(req.raw_path.empty() ? std::string("/") : req.raw_path);
  if (req.virtual_hosted) resource = "/" + req.bucket + resource;
  protocol::request_view v2 = view;
  v2.path = resource;

  if (authorization.starts_with("AWS ")) {
    auto parsed = protocol::parse_sigv2_authorization(authorization);
    if (!parsed) return failure(parsed.error());
    const user* u = users.find(parsed->access_key);
    if (u == nullptr) return unknown_key();
    if (auto r = protocol::verify_sigv2_header(v2, *parsed, u->secret_key, now); !r) {
      return failure(r.error());
    }
    return auth_result{u, auth_kind::sigv2_header, std::nullopt};
  }
  if (protocol::has_sigv2_query_auth(req.query)) {
    if (!authorization.empty()) {
      return s3_failure{s3_error::invalid_argument, "Only one auth mechanism allowed"};
    }
    auto parsed = protocol::parse_sigv2_presigned(req.query);
    if (!parsed) return failure(parsed.error());
    const user* u = users.find(parsed->access_key);
    if (u == nullptr) return unknown_key();
    if (auto r = protocol::verify_sigv2_presigned(v2, *parsed, u->secret_key, now); !r) {
      return failure(r.error());
    }
    return auth_result{u, auth_kind::sigv2_presigned, std::nullopt};
  }
  if (!authorization.empty()) {
    return s3_failure{s3_error::invalid_argument, "Unsupported Authorization Type"};
  }
  return s3_failure{s3_error::access_denied, "Anonymous access is not allowed."};
}

}  // namespace kvgate::s3
