#include "rebalance_node_client.h"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/sigv4_signer.h"

namespace kvgate::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Runs the io_context until the one pending operation completed.
void run_one(asio::io_context& io) {
  io.restart();
  io.run();
}

}  // namespace

boost::system::result<node_client, std::string> node_client::create(std::string endpoint,
                                                                    gateway::credentials root,
                                                                    std::string region,
                                                                    routing_map map,
                                                                    std::uint64_t body_limit) {
  using boost::system::in_place_error;
  constexpr std::string_view kScheme = "http://";
  node_client c;
  if (!endpoint.starts_with(kScheme))
    return {in_place_error,
            fmt::format("{}: only http://HOST:PORT endpoints are supported", endpoint)};
  std::string host_port = endpoint.substr(kScheme.size());
  while (!host_port.empty() && host_port.back() == '/') host_port.pop_back();
  if (!gateway::parse_listen_address(host_port, c.address_))
    return {in_place_error, fmt::format("{}: expected http://HOST:PORT", endpoint)};
  c.endpoint_ = std::move(endpoint);
  c.host_port_ = std::move(host_port);
  c.root_ = std::move(root);
  c.region_ = std::move(region);
  c.map_ = std::move(map);
  c.body_limit_ = body_limit;
  c.io_ = std::make_unique<asio::io_context>();
  return c;
}

boost::system::result<node_response, std::string> node_client::send(const node_request& request) {
  auto first = attempt(request);
  if (first) return first;
  // A kept-alive connection the node closed meanwhile: dial again, once.
  stream_.reset();
  return attempt(request);
}

boost::system::result<node_response, std::string> node_client::attempt(
    const node_request& request) {
  using boost::system::in_place_error;
  boost::system::error_code ec;
  auto fail = [&](std::string_view what) -> boost::system::result<node_response, std::string> {
    stream_.reset();
    return {in_place_error, fmt::format("{} {}: {}", what, endpoint_, ec.message())};
  };
  if (!stream_) {
    asio::ip::tcp::resolver resolver(*io_);
    auto endpoints = resolver.resolve(address_.host, std::to_string(address_.port), ec);
    if (ec) return fail("cannot resolve");
    stream_ = std::make_unique<beast::tcp_stream>(*io_);
    stream_->expires_after(timeout_);
    stream_->async_connect(endpoints, [&](boost::system::error_code e, auto&&) { ec = e; });
    run_one(*io_);
    if (ec) return fail("cannot connect to");
  }

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
  to_sign.headers.push_back({"host", host_port_});
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

  stream_->expires_after(timeout_);
  http::async_write(*stream_, req, [&](boost::system::error_code e, std::size_t) { ec = e; });
  run_one(*io_);
  if (ec) return fail("request to");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit_ + (1u << 20));
  if (request.method == "HEAD") parser.skip(true);
  stream_->expires_after(timeout_);
  http::async_read(*stream_, buffer, parser,
                   [&](boost::system::error_code e, std::size_t) { ec = e; });
  run_one(*io_);
  if (ec) return fail("no complete answer from");

  auto res = parser.release();
  node_response out;
  out.status = res.result_int();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(res.body());
  if (!res.keep_alive()) stream_.reset();
  return out;
}

}  // namespace kvgate::cli
