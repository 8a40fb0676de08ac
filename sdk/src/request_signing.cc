#include "request_signing.h"

#include "kvgate/protocol/uri.h"

namespace kvgate::sdk::detail {

std::string encode_query(const protocol::query_params& query) {
  std::string out;
  for (const auto& p : query) {
    out += out.empty() ? "?" : "&";
    out += protocol::uri_encode(p.name, protocol::slash_encoding::encode);
    if (p.has_value) out += "=" + protocol::uri_encode(p.value, protocol::slash_encoding::encode);
  }
  return out;
}

result<outgoing_request> build_signed_request(const protocol::signing_credentials& credentials,
                                              const request_location& where, http::verb method,
                                              const protocol::query_params& query,
                                              const std::vector<protocol::owned_header>& headers,
                                              std::string_view payload_hash,
                                              protocol::sys_seconds now) {
  outgoing_request out;
  out.method = method;
  out.target = where.path + encode_query(query);
  out.headers = headers;
  out.headers.push_back({"host", where.host_header});
  const protocol::request_to_sign to_sign{std::string(http::to_string(method)), where.path, query,
                                          out.headers, std::string(payload_hash)};
  auto signed_request = protocol::sign_request(credentials, to_sign, now);
  if (!signed_request)
    return make_error(sdk_errc::invalid_argument,
                      "signing failed: " + signed_request.error().message());
  for (auto& h : signed_request->added_headers) out.headers.push_back(std::move(h));
  out.send_content_length = method == http::verb::put || method == http::verb::post;
  return out;
}

}  // namespace kvgate::sdk::detail
