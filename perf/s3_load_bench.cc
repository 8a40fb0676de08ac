// kvgate_s3_load_bench: an HTTP load generator for the gateway benchmark
// (perf/http_bench.sh). N keep-alive connections, one thread each, issue
// GET, PUT or HEAD requests until a request count or a time budget runs out,
// and the tool prints throughput and latency percentiles (text or JSON).
//
// Requests are SigV4-signed with kvgate::protocol's signer (payload hash
// UNSIGNED-PAYLOAD) using KVGATE_ACCESS_KEY / KVGATE_SECRET_KEY from the
// environment, or sent unsigned with --unsigned (the same tool then measures
// nginx serving a static file). Signing happens before a request's latency
// clock starts. Loopback addresses only.
//
// Request i (a counter shared by all connections) addresses object
// `<prefix><i mod objects>`, so PUT runs overwrite a bounded set of keys.
#include <fmt/core.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "http_connection.h"
#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/sigv4_signer.h"

namespace {

namespace perf = kvgate::perf;
namespace proto = kvgate::protocol;
using bench_clock = perf::bench_clock;

struct load_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9000;
  std::string op = "get";  // get, put, head, create-bucket
  std::string bucket = "bench";
  std::string prefix = "obj-";
  std::string path;  // with --unsigned: the fixed request path (e.g. /file.bin)
  std::size_t size = std::size_t{32} << 20;
  std::size_t objects = 1;
  std::size_t connections = 1;
  double seconds = 10.0;
  std::size_t max_requests = 1000;
  bool unsigned_requests = false;
  bool json = false;
  bool shuffle = false;   // key order: a fixed pseudo-random permutation-like walk
  int expect_status = 0;  // 0: any 2xx is success; else exactly this status (e.g. 404)
};

// splitmix64: spreads request indexes over the key space so consecutive
// requests do not hit neighbouring index blocks.
std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Totals and latencies of one connection's requests.
struct connection_tally {
  std::size_t requests = 0;
  std::size_t errors = 0;
  std::size_t bytes = 0;  // body bytes sent (PUT) or received (GET)
  std::vector<double> latency_ms;
  std::string first_error;
};

// Builds request heads; signs them when credentials are set. Shared
// read-only by all connection threads.
class request_builder {
 public:
  request_builder(const load_options& o, std::optional<proto::signing_credentials> credentials)
      : options_(o),
        credentials_(std::move(credentials)),
        host_(fmt::format("{}:{}", o.host, o.port)) {}

  proto::result<std::string> head_for(std::size_t index) const {
    const auto& o = options_;
    std::string method = o.op == "get" ? "GET" : o.op == "head" ? "HEAD" : "PUT";
    std::string path;
    if (o.op == "create-bucket")
      path = "/" + o.bucket;
    else if (!o.path.empty())
      path = o.path;
    else
      path =
          fmt::format("/{}/{}{}", o.bucket, o.prefix, (o.shuffle ? mix(index) : index) % o.objects);
    const bool has_body = o.op == "put";

    std::string head = fmt::format("{} {} HTTP/1.1\r\nhost: {}\r\n", method, path, host_);
    if (has_body) head += fmt::format("content-length: {}\r\n", o.size);
    if (credentials_) {
      proto::request_to_sign req{
          method, path, {}, {{"host", host_}}, std::string(proto::kUnsignedPayload)};
      auto now =
          std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
      auto signed_req = proto::sign_request(*credentials_, req, now);
      if (!signed_req) return signed_req.error();
      for (const auto& h : signed_req->added_headers)
        head += fmt::format("{}: {}\r\n", h.name, h.value);
    }
    head += "\r\n";
    return head;
  }

 private:
  const load_options& options_;
  std::optional<proto::signing_credentials> credentials_;
  std::string host_;
};

void run_connection(const load_options& o, const request_builder& builder,
                    const std::vector<char>& body, std::atomic<std::size_t>& next,
                    bench_clock::time_point deadline, connection_tally& tally) {
  std::optional<perf::http_connection> conn;
  const bool is_head = o.op == "head";
  const std::span<const char> payload =
      o.op == "put" ? std::span<const char>(body) : std::span<const char>();
  for (;;) {
    const std::size_t index = next.fetch_add(1);
    if (index >= o.max_requests || bench_clock::now() >= deadline) break;
    auto head = builder.head_for(index);
    if (!head) {
      ++tally.errors;
      if (tally.first_error.empty()) tally.first_error = "signing: " + head.error().message();
      break;
    }
    const auto start = bench_clock::now();
    if (!conn) {
      auto c = perf::http_connection::open(o.host, o.port);
      if (!c) {
        ++tally.errors;
        if (tally.first_error.empty()) tally.first_error = "connect: " + c.error().message();
        break;
      }
      conn.emplace(std::move(*c));
    }
    auto response = conn->exchange(*head, payload, is_head);
    const auto stop = bench_clock::now();
    ++tally.requests;
    if (!response) {
      ++tally.errors;
      if (tally.first_error.empty()) tally.first_error = "transport: " + response.error().message();
      conn.reset();
      continue;
    }
    const bool ok = o.expect_status != 0 ? response->status == o.expect_status
                                         : (response->status >= 200 && response->status < 300) ||
                                               (o.op == "create-bucket" && response->status == 409);
    if (!ok) {
      ++tally.errors;
      if (tally.first_error.empty())
        tally.first_error = fmt::format("HTTP {}: {}", response->status, response->error_body);
    } else {
      tally.bytes += o.op == "put" ? payload.size() : response->body_bytes;
      tally.latency_ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    }
    if (response->close) conn.reset();
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

bool is_loopback(const std::string& host) {
  return host.starts_with("127.");
}

}  // namespace

int main(int argc, char** argv) {
  load_options o;
  CLI::App app{
      "HTTP load generator for kvgate (and nginx baselines): keep-alive connections, bounded runs"};
  app.add_option("--host", o.host, "IPv4 loopback address of the server");
  app.add_option("--port", o.port, "server port")->required();
  app.add_option("--op", o.op, "get, put, head or create-bucket")
      ->check(CLI::IsMember({"get", "put", "head", "create-bucket"}));
  app.add_option("--bucket", o.bucket, "bucket name");
  app.add_option("--prefix", o.prefix, "object key prefix; request i uses <prefix><i mod objects>");
  app.add_option("--path", o.path, "fixed request path instead of /bucket/key (nginx baseline)");
  app.add_option("--size", o.size, "PUT body size in bytes");
  app.add_option("--objects", o.objects, "distinct keys addressed")->check(CLI::PositiveNumber);
  app.add_option("--connections", o.connections, "concurrent keep-alive connections")
      ->check(CLI::Range(std::size_t{1}, std::size_t{256}));
  app.add_option("--seconds", o.seconds, "time budget (stops starting new requests after it)")
      ->check(CLI::Range(0.01, 600.0));
  app.add_option("--max-requests", o.max_requests, "request budget")->check(CLI::PositiveNumber);
  app.add_flag("--unsigned", o.unsigned_requests, "send requests without SigV4");
  app.add_flag("--json", o.json, "print one JSON object instead of a table");
  app.add_flag("--shuffle", o.shuffle, "address keys in a pseudo-random order, not i mod objects");
  app.add_option("--expect-status", o.expect_status,
                 "count only this HTTP status as success (e.g. 404 for absent-key HEADs)");
  CLI11_PARSE(app, argc, argv);
  if (!is_loopback(o.host)) {
    fmt::print(stderr, "refusing non-loopback host {}\n", o.host);
    return 2;
  }
  if (o.op == "create-bucket") o.max_requests = 1;

  std::optional<proto::signing_credentials> credentials;
  if (!o.unsigned_requests) {
    const char* ak = std::getenv("KVGATE_ACCESS_KEY");
    const char* sk = std::getenv("KVGATE_SECRET_KEY");
    if (ak == nullptr || sk == nullptr) {
      fmt::print(stderr, "set KVGATE_ACCESS_KEY and KVGATE_SECRET_KEY, or pass --unsigned\n");
      return 2;
    }
    credentials = proto::signing_credentials{ak, sk, std::nullopt, "us-east-1", "s3"};
  }
  const request_builder builder(o, credentials);
  std::vector<char> body(o.op == "put" ? o.size : 0);
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>((i * 2654435761u) >> 13);

  std::atomic<std::size_t> next{0};
  std::vector<connection_tally> tallies(o.connections);
  const double cpu_start = perf::cpu_seconds();
  const auto start = bench_clock::now();
  const auto deadline = start + std::chrono::duration_cast<bench_clock::duration>(
                                    std::chrono::duration<double>(o.seconds));
  {
    std::vector<std::jthread> threads;
    for (std::size_t c = 0; c < o.connections; ++c)
      threads.emplace_back(
          [&, c] { run_connection(o, builder, body, next, deadline, tallies[c]); });
  }
  const double elapsed = std::chrono::duration<double>(bench_clock::now() - start).count();
  const double client_cpu = perf::cpu_seconds() - cpu_start;

  connection_tally total;
  for (auto& t : tallies) {
    total.requests += t.requests;
    total.errors += t.errors;
    total.bytes += t.bytes;
    total.latency_ms.insert(total.latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
    if (total.first_error.empty()) total.first_error = t.first_error;
  }
  std::sort(total.latency_ms.begin(), total.latency_ms.end());
  const double mib_s = elapsed > 0 ? static_cast<double>(total.bytes) / elapsed / (1 << 20) : 0;
  const double req_s =
      elapsed > 0 ? static_cast<double>(total.requests - total.errors) / elapsed : 0;

  if (o.json) {
    nlohmann::json j{{"op", o.op},
                     {"connections", o.connections},
                     {"requests", total.requests},
                     {"errors", total.errors},
                     {"bytes", total.bytes},
                     {"seconds", elapsed},
                     {"mib_per_s", mib_s},
                     {"requests_per_s", req_s},
                     {"p50_ms", percentile(total.latency_ms, 0.50)},
                     {"p99_ms", percentile(total.latency_ms, 0.99)},
                     {"max_ms", total.latency_ms.empty() ? 0.0 : total.latency_ms.back()},
                     {"client_cpu_seconds", client_cpu},
                     {"first_error", total.first_error}};
    fmt::print("{}\n", j.dump());
  } else {
    perf::report_table table;
    table.section(fmt::format("{} x{} connections, {} requests ({} errors) in {:.2f} s", o.op,
                              o.connections, total.requests, total.errors, elapsed));
    table.add("throughput", mib_s, "MiB/s");
    table.add("requests", req_s, "req/s");
    table.add("latency p50", percentile(total.latency_ms, 0.50), "ms");
    table.add("latency p99", percentile(total.latency_ms, 0.99), "ms");
    table.add("client CPU", client_cpu, "s");
    table.print();
    if (!total.first_error.empty()) fmt::print("first error: {}\n", total.first_error);
  }
  return total.errors == 0 && total.requests > 0 ? 0 : 1;
}
