#include "rebalance_node_client.h"

#include <fmt/format.h>

#include <boost/beast/http.hpp>
#include <cctype>

#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/sigv4_signer.h"

namespace kvgate::cli {

namespace http = boost::beast::http;

boost::system::result<node_client, std::string> node_client::create(
    std::string endpoint, gateway::credentials root, std::string region, routing_map map,
    std::uint64_t body_limit, std::string ca_file) {
  using boost::system::in_place_error;
  auto parsed = parse_node_endpoint(endpoint);
  if (!parsed) return {in_place_error, parsed.error()};
  auto connection = node_connection::create(std::move(*parsed), {std::move(ca_file)});
  if (!connection) return {in_place_error, connection.error()};
  node_client c(std::move(*connection));
  c.root_ = std::move(root);
  c.region_ = std::move(region);
  c.map_ = std::move(map);
  c.body_limit_ = body_limit;
  return c;
}

boost::system::result<node_response, std::string> node_client::send(const node_request& request) {
  auto first = attempt(request);
  if (first) return first;
  // A kept-alive connection the node closed meanwhile: dial again, once.
  connection_.close();
  return attempt(request);
}

boost::system::result<node_response, std::string> node_client::attempt(
    const node_request& request) {
  using boost::system::in_place_error;
  const std::string path =
      !request.raw_path.empty()
          ? request.raw_path
          : "/" + protocol::uri_encode(request.bucket, protocol::slash_encoding::encode) +
                (request.key.empty()
                     ? std::string()
                     : "/" + protocol::uri_encode(request.key, protocol::slash_encoding::keep));
  const std::string query = protocol::canonical_query_string(request.query);
  protocol::request_to_sign to_sign;
  to_sign.method = request.method;
  to_sign.path = path;
  to_sign.query = request.query;
  to_sign.headers.push_back({"host", connection_.endpoint().host_port});
  if (!map_.cluster_id.empty()) {
    to_sign.headers.push_back({"x-kvgate-cluster-id", map_.cluster_id});
    to_sign.headers.push_back({"x-kvgate-map-version", std::to_string(map_.version)});
  }
  to_sign.payload_hash =
      request.body.empty() ? protocol::sha256_hex("") : std::string(protocol::kUnsignedPayload);
  protocol::signing_credentials creds{root_.access_key, root_.secret_key, std::nullopt, region_,
                                      "s3"};
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto signed_request = protocol::sign_request(creds, to_sign, now);
  if (!signed_request) return {in_place_error, "cannot sign the request"};

  http::request<http::string_body> req{http::string_to_verb(request.method),
                                       path + (query.empty() ? "" : "?" + query), 11};
  for (const auto& h : to_sign.headers) req.set(h.name, h.value);
  for (const auto& h : signed_request->added_headers) req.set(h.name, h.value);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = request.body;
  req.prepare_payload();

  auto answer = connection_.exchange(req, request.method == "HEAD", body_limit_ + (1u << 20));
  if (!answer) return {in_place_error, answer.error()};
  auto& res = *answer;
  node_response out;
  out.status = res.result_int();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace kvgate::cli
