#include "admin_client.h"

#include <fmt/format.h>

#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>

#include "kvgate/gateway/config.h"
#include "kvgate/gateway/dev_credentials.h"
#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/sigv4_signer.h"
#include "node_connection.h"

namespace kvgate::cli {
namespace {

namespace http = boost::beast::http;

// Admin answers are small JSON documents (job lists are the largest).
constexpr std::uint64_t kMaxAdminAnswer = 64u << 20;

}  // namespace

gateway::credentials root_credentials(std::string_view verb, const admin_target& target) {
  const auto config = load_config_or_fail(target, verb);
  if (!config.dev_credentials) return {config.access_key, config.secret_key};
  if (!std::filesystem::exists(config.dev_credentials_file))
    admin_fail(verb,
               "no credentials: set KVGATE_ACCESS_KEY and KVGATE_SECRET_KEY (the server's "
               "root keys), or --data/--config naming the server's dev credentials");
  auto dev = gateway::load_or_create_dev_credentials(config.dev_credentials_file);
  if (!dev) admin_fail(verb, dev.error());
  return *dev;
}

admin_call admin_get(std::string_view verb, const std::string& endpoint, const std::string& region,
                     const std::string& ca_file, const admin_target& target, std::string path) {
  admin_call call;
  call.verb = verb;
  call.endpoint = endpoint;
  call.region = region;
  call.ca_file = ca_file;
  call.target = &target;
  call.path = std::move(path);
  return call;
}

nlohmann::json call_admin_api(const admin_call& call) {
  const std::string_view verb = call.verb;
  auto endpoint = parse_node_endpoint(call.endpoint);
  if (!endpoint) admin_fail(verb, "--endpoint " + endpoint.error());
  const std::string host_port = endpoint->host_port;
  const gateway::credentials root = root_credentials(verb, *call.target);

  protocol::request_to_sign request;
  request.method = call.method;
  request.path = call.path;
  if (!call.query.empty()) request.query.push_back({call.query, "", false});
  request.headers.push_back({"host", host_port});
  request.payload_hash = protocol::sha256_hex(call.body);
  protocol::signing_credentials creds{root.access_key, root.secret_key, std::nullopt, call.region,
                                      "s3"};
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto signed_request = protocol::sign_request(creds, request, now);
  if (!signed_request) admin_fail(verb, "cannot sign the request");

  http::request<http::string_body> req{http::string_to_verb(call.method),
                                       call.path + (call.query.empty() ? "" : "?" + call.query),
                                       11};
  req.set(http::field::host, host_port);
  for (const auto& h : signed_request->added_headers) req.set(h.name, h.value);
  if (call.method == "POST") req.set(http::field::content_type, "application/json");
  req.keep_alive(false);
  req.body() = call.body;
  req.prepare_payload();

  auto connection = node_connection::create(std::move(*endpoint), {call.ca_file});
  if (!connection) admin_fail(verb, connection.error());
  auto res = connection->exchange(req, false, kMaxAdminAnswer);
  if (!res) admin_fail(verb, res.error());
  if (http::to_status_class(res->result()) != http::status_class::successful)
    admin_fail(verb, fmt::format("the server answered {}: {}", res->result_int(), res->body()));
  nlohmann::json answer = nlohmann::json::parse(res->body(), nullptr, false);
  if (answer.is_discarded()) admin_fail(verb, "the server's answer is not JSON");
  return answer;
}

void add_endpoint_options(CLI::App& cmd, std::string& endpoint, std::string& region,
                          std::string& ca_file) {
  cmd.add_option("--endpoint", endpoint,
                 "a running server (http://HOST:PORT or https://HOST:PORT): use its admin API "
                 "with the root credentials (KVGATE_ACCESS_KEY/KVGATE_SECRET_KEY, or the dev "
                 "credentials)");
  cmd.add_option("--region", region, "SigV4 region for --endpoint [default: us-east-1]");
  cmd.add_option("--ca-file", ca_file,
                 "PEM CA bundle that signed an https --endpoint's certificate [default: the "
                 "system's trust store, SSL_CERT_FILE]")
      ->check(CLI::ExistingFile);
}

}  // namespace kvgate::cli
