// `kvgate capacity`: the cache tier's usage, limits, quotas and TTLs
// (docs/cache.md). Without --endpoint it works on a stopped server's data
// directories like the other admin verbs; with --endpoint it talks to a
// running server's admin API (POST /.kvgate/v1/admin/capacity, SigV4-signed
// with the root credentials). Changes are kept with the data either way, so
// a restart keeps them unless the configuration sets the same key.
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.h"
#include "engine_admin.h"
#include "kvgate/gateway/config.h"
#include "kvgate/gateway/dev_credentials.h"
#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/sigv4_signer.h"
#include "kvgate/s3/cache_policy.h"

namespace kvgate::cli {
namespace {

using json = nlohmann::json;
namespace http = boost::beast::http;

constexpr std::string_view kVerb = "capacity";
constexpr std::string_view kAdminPath = "/.kvgate/v1/admin/capacity";

struct capacity_options {
  admin_target target;
  std::string endpoint;  // http://HOST:PORT
  std::string region = "us-east-1";
  std::string max_bytes, max_objects, high_watermark, low_watermark;
  std::string bucket, quota_bytes, quota_objects, no_evict, ttl;
  bool remove_bucket = false;
  bool evict_now = false;
};

// The JSON change the flags ask for (validated by change_from_json).
json change_from_flags(const capacity_options& o) {
  json j = json::object();
  auto number_or_text = [](const std::string& text) -> json {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
      return std::stoull(text);
    return text;
  };
  if (!o.max_bytes.empty()) j["max_bytes"] = number_or_text(o.max_bytes);
  if (!o.max_objects.empty()) j["max_objects"] = number_or_text(o.max_objects);
  if (!o.high_watermark.empty()) j["high_watermark"] = o.high_watermark;
  if (!o.low_watermark.empty()) j["low_watermark"] = o.low_watermark;
  const bool bucket_fields = !o.quota_bytes.empty() || !o.quota_objects.empty() ||
                             !o.no_evict.empty() || !o.ttl.empty() || o.remove_bucket;
  if (bucket_fields && o.bucket.empty())
    admin_fail(kVerb,
               "--quota-bytes, --quota-objects, --no-evict, --ttl and --remove need --bucket");
  if (!o.bucket.empty()) {
    json b = json::object();
    if (o.remove_bucket) b["remove"] = true;
    if (!o.quota_bytes.empty()) b["quota_bytes"] = number_or_text(o.quota_bytes);
    if (!o.quota_objects.empty()) b["quota_objects"] = number_or_text(o.quota_objects);
    if (!o.no_evict.empty()) {
      if (o.no_evict != "true" && o.no_evict != "false")
        admin_fail(kVerb, "--no-evict takes true or false");
      b["no_evict"] = o.no_evict == "true";
    }
    if (!o.ttl.empty()) b["default_ttl"] = number_or_text(o.ttl);
    j["buckets"][o.bucket] = b;
  }
  return j;
}

std::string gib(std::uint64_t bytes) {
  return fmt::format("{:.3f} GiB", static_cast<double>(bytes) / 1073741824.0);
}

std::string limit_text(std::uint64_t n, bool bytes) {
  if (n == 0) return "unlimited";
  return bytes ? fmt::format("{} ({})", n, gib(n)) : std::to_string(n);
}

void print_report(const json& r, bool as_json) {
  if (as_json) {
    std::cout << r.dump(2) << std::endl;
    return;
  }
  const json& u = r["usage"];
  std::cout << fmt::format(
      "node: {} objects, {} logical bytes ({}), {} stored bytes\n",
      u["objects"].get<std::uint64_t>(), u["logical_bytes"].get<std::uint64_t>(),
      gib(u["logical_bytes"].get<std::uint64_t>()), u["stored_bytes"].get<std::uint64_t>());
  std::cout << fmt::format("limits: {} bytes, {} objects; watermarks high {} low {}\n",
                           limit_text(r["max_bytes"].get<std::uint64_t>(), true),
                           limit_text(r["max_objects"].get<std::uint64_t>(), false),
                           r["high_watermark"].get<double>(), r["low_watermark"].get<double>());
  std::uint64_t evicted_objects = 0, evicted_bytes = 0;
  for (const auto& [reason, c] : r["evicted"].items()) {
    evicted_objects += c["objects"].get<std::uint64_t>();
    evicted_bytes += c["bytes"].get<std::uint64_t>();
  }
  std::cout << fmt::format(
      "evicted: {} objects, {} bytes; inline evictions {}; refused: {} quota, {} capacity\n",
      evicted_objects, evicted_bytes, r["inline_evictions"].get<std::uint64_t>(),
      r["refused_quota"].get<std::uint64_t>(), r["refused_capacity"].get<std::uint64_t>());
  if (r.contains("evicted_now"))
    std::cout << fmt::format("this run evicted {} objects\n",
                             r["evicted_now"].get<std::uint64_t>());
  for (const auto& [name, b] : r["buckets"].items()) {
    std::cout << fmt::format(
        "  bucket {}: {} objects, {} bytes; quota {} bytes, {} objects{}{}\n", name,
        b["usage"]["objects"].get<std::uint64_t>(),
        b["usage"]["logical_bytes"].get<std::uint64_t>(),
        limit_text(b["quota_bytes"].get<std::uint64_t>(), true),
        limit_text(b["quota_objects"].get<std::uint64_t>(), false),
        b["no_evict"].get<bool>() ? ", no-evict" : "",
        b["default_ttl"].get<std::uint64_t>() != 0
            ? fmt::format(", default TTL {} s", b["default_ttl"].get<std::uint64_t>())
            : std::string());
  }
}

void run_offline(const capacity_options& o, const json& change_json) {
  auto parsed = s3::change_from_json(change_json);
  if (!parsed) admin_fail(kVerb, parsed.error());
  // No background eviction: a lowered limit is applied by the server (or by
  // --evict-now), never half-way while this verb exits.
  std::shared_ptr<erasure::store> store(open_store_or_fail(
      o.target, kVerb,
      [](erasure::store_options& so) { so.capacity.background_eviction = false; }));
  s3::cache_policy_keeper keeper(store);
  auto policy = keeper.change(*parsed);
  if (!policy) admin_fail(kVerb, policy.error());
  std::uint64_t evicted = 0;
  if (o.evict_now) {
    auto n = store->evict_now();
    if (!n) admin_fail(kVerb, "eviction failed: " + n.error().message());
    evicted = *n;
  }
  json report = s3::report_json(store->capacity_usage(), *policy);
  if (o.evict_now) report["evicted_now"] = evicted;
  print_report(report, o.target.json);
}

gateway::credentials root_credentials(const capacity_options& o) {
  gateway::config_layer flags;
  if (!o.target.data.empty()) flags.emplace("data", gateway::config_value{o.target.data, "--data"});
  if (!o.target.config.empty())
    flags.emplace("config", gateway::config_value{{o.target.config}, "--config"});
  auto config = gateway::load_config(
      flags, [](const char* name) { return std::getenv(name); },
      std::max(1u, std::thread::hardware_concurrency()));
  if (!config) admin_fail(kVerb, config.error().message);
  if (!config->dev_credentials) return {config->access_key, config->secret_key};
  if (!std::filesystem::exists(config->dev_credentials_file))
    admin_fail(kVerb,
               "no credentials: set KVGATE_ACCESS_KEY and KVGATE_SECRET_KEY (the server's "
               "root keys), or --data/--config naming the server's dev credentials");
  auto dev = gateway::load_or_create_dev_credentials(config->dev_credentials_file);
  if (!dev) admin_fail(kVerb, dev.error());
  return *dev;
}

void run_online(const capacity_options& o, const json& change_json) {
  constexpr std::string_view kScheme = "http://";
  if (!o.endpoint.starts_with(kScheme))
    admin_fail(kVerb, "--endpoint must be http://HOST:PORT (the admin verb speaks plain HTTP)");
  std::string host_port = o.endpoint.substr(kScheme.size());
  while (!host_port.empty() && host_port.back() == '/') host_port.pop_back();
  gateway::listen_address address;
  if (!gateway::parse_listen_address(host_port, address))
    admin_fail(kVerb, fmt::format("--endpoint {}: expected http://HOST:PORT", o.endpoint));
  const gateway::credentials root = root_credentials(o);

  const bool post = !change_json.empty() || o.evict_now;
  const std::string body = post ? change_json.dump() : std::string();
  protocol::request_to_sign request;
  request.method = post ? "POST" : "GET";
  request.path = std::string(kAdminPath);
  if (o.evict_now) request.query.push_back({"evict", "", false});
  request.headers.push_back({"host", host_port});
  request.payload_hash = protocol::sha256_hex(body);
  protocol::signing_credentials creds{root.access_key, root.secret_key, std::nullopt, o.region,
                                      "s3"};
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto signed_request = protocol::sign_request(creds, request, now);
  if (!signed_request) admin_fail(kVerb, "cannot sign the request");

  http::request<http::string_body> req{post ? http::verb::post : http::verb::get,
                                       std::string(kAdminPath) + (o.evict_now ? "?evict" : ""), 11};
  req.set(http::field::host, host_port);
  for (const auto& h : signed_request->added_headers) req.set(h.name, h.value);
  if (post) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();

  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (!ec) boost::asio::connect(socket, endpoints, ec);
  if (ec) admin_fail(kVerb, fmt::format("cannot connect to {}: {}", o.endpoint, ec.message()));
  http::write(socket, req, ec);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(socket, buffer, res, ec);
  if (ec) admin_fail(kVerb, fmt::format("request to {} failed: {}", o.endpoint, ec.message()));
  if (res.result() != http::status::ok)
    admin_fail(kVerb, fmt::format("the server answered {}: {}", res.result_int(), res.body()));
  const json report = json::parse(res.body(), nullptr, false);
  if (report.is_discarded()) admin_fail(kVerb, "the server's answer is not JSON");
  print_report(report, o.target.json);
}

}  // namespace

void add_capacity_command(CLI::App& app) {
  auto o = std::make_shared<capacity_options>();
  CLI::App* cmd = app.add_subcommand(
      "capacity",
      "Show or change the cache tier's limits, bucket quotas, no-evict and default TTLs");
  add_target_options(*cmd, o->target);
  cmd->add_option("--endpoint", o->endpoint,
                  "a running server (http://HOST:PORT): use its admin API with the root "
                  "credentials (KVGATE_ACCESS_KEY/KVGATE_SECRET_KEY, or the dev credentials)");
  cmd->add_option("--region", o->region, "SigV4 region for --endpoint [default: us-east-1]");
  cmd->add_option("--max-bytes", o->max_bytes, "node capacity, e.g. 500GiB (0 = unlimited)");
  cmd->add_option("--max-objects", o->max_objects, "node object limit (0 = unlimited)");
  cmd->add_option("--high-watermark", o->high_watermark, "fraction that starts eviction, e.g. 0.9");
  cmd->add_option("--low-watermark", o->low_watermark, "fraction eviction stops at, e.g. 0.8");
  cmd->add_option("--bucket", o->bucket, "the bucket the following settings apply to");
  cmd->add_option("--quota-bytes", o->quota_bytes, "bucket quota in bytes, e.g. 200GiB (0 = none)");
  cmd->add_option("--quota-objects", o->quota_objects, "bucket object quota (0 = none)");
  cmd->add_option("--no-evict", o->no_evict,
                  "true: never evict the bucket, refuse writes over its quota (403 QuotaExceeded)");
  cmd->add_option("--ttl", o->ttl, "bucket default TTL, e.g. 7d or 3600 (0 = none)");
  cmd->add_flag("--remove", o->remove_bucket, "drop the bucket's quota, no-evict and TTL");
  cmd->add_flag("--evict-now", o->evict_now, "run one eviction pass now");
  cmd->callback([o] {
    const json change = change_from_flags(*o);
    if (o->endpoint.empty()) {
      run_offline(*o, change);
    } else {
      run_online(*o, change);
    }
  });
}

}  // namespace kvgate::cli
