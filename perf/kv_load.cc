// kvgate_kv_load: the KV-cache workload generator of the performance suite
// (issue #8, perf/kv_bench.sh). Replays the shapes an LMCache-style KV tier
// sends to an S3 gateway over raw HTTP/1.1 keep-alive connections on
// loopback, SigV4-signed with kvgate::protocol's signer
// (KVGATE_ACCESS_KEY / KVGATE_SECRET_KEY from the environment):
//
//   put, get          whole-object PutObject / GetObject of one segment size
//   lmcache-put       <= 8 MiB: PutObject; larger: multipart, 8 MiB parts in
//                     parallel and out of order over --part-connections
//   lmcache-get       HEAD, then 8 MiB ranged GETs with If-Match in parallel
//   head-storm        prompts of --heads-per-prompt serial HEADs, a
//                     --miss-ratio of them for absent keys
//   exists-storm      the same prompts, each one BatchExists (kvgate's
//                     POST /bucket?kvgate-exists, docs/api.md)
//   chat              --connections users x --rounds: re-read the shared
//                     system-prompt segments and the user's history, write
//                     this round's history segment (LMCache shapes)
//   mix               steady GET/PUT/HEAD mix with --mix weights
//
// Read workloads first write what they read (untimed; --no-populate skips).
// Bodies follow segment_pattern (kv_pattern.h), so --verify checks every byte
// read. Every status is checked; errors are counted and shown, and a run with
// any error exits 1. Output per operation: count, errors, MiB/s, req/s,
// latency p50/p90/p99/p999/max; with --server-pid the server's CPU seconds
// per GiB moved and its RSS; --connections-idle opens extra idle keep-alive
// connections for the run; --latency-out dumps every latency sample.
#include <fmt/core.h>
#include <stdlib.h>
#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "kv_http_client.h"
#include "kv_server_probe.h"
#include "kv_workloads.h"

namespace {

namespace perf = kvgate::perf;
using perf::bench_clock;

struct cli_options {
  perf::kv_workload_options workload;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string bucket = "kvbench";
  std::size_t segment_mib = 32;
  std::size_t connections = 1;
  std::size_t part_connections = 4;
  double seconds = 10;
  std::size_t max_requests = 1000;
  bool populate = true;
  bool json = false;
  std::string mix = "60:20:20";
  pid_t server_pid = 0;
  std::size_t connections_idle = 0;
  std::string latency_out;
};

// Idle keep-alive connections held open for the run, each after one request
// (HEAD of the bucket) so the server has a fully set-up session for it.
struct idle_connections {
  std::vector<perf::kv_http_connection> open;
  std::size_t failed = 0;
  std::string first_error;
};

idle_connections open_idle(const perf::s3_endpoint& endpoint, std::size_t count) {
  idle_connections idle;
  idle.open.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto note = [&](std::string message) {
      ++idle.failed;
      if (idle.first_error.empty()) idle.first_error = std::move(message);
    };
    auto c = perf::kv_http_connection::open(endpoint.host, endpoint.port);
    if (!c) {
      note("connect: " + c.error().message());
      continue;
    }
    auto head = endpoint.head("HEAD", "");
    if (!head) {
      note("signing: " + head.error().message());
      continue;
    }
    auto r = c->exchange(*head, {}, true);
    if (!r || r->status != 200 || r->close) {
      note(r ? perf::describe_status(*r) : "transport: " + r.error().message());
      continue;
    }
    idle.open.push_back(std::move(*c));
  }
  return idle;
}

bool create_bucket(const perf::s3_endpoint& endpoint, perf::run_budget& budget,
                   std::string& error) {
  perf::s3_channel ch(endpoint, budget);
  auto head = endpoint.head("PUT", "", {}, {}, 0);
  if (!head) return error = head.error().message(), false;
  auto r = ch.send(*head, {}, false, nullptr, 4096);
  if (!r) return error = "transport: " + r.error().message(), false;
  if (r->status == 200 || r->status == 409) return true;  // 409: already ours
  error = perf::describe_status(*r);
  return false;
}

bool parse_mix(const std::string& text, perf::kv_workload_options& o) {
  unsigned g = 0, p = 0, h = 0;
  if (std::sscanf(text.c_str(), "%u:%u:%u", &g, &p, &h) != 3 || g + p + h == 0) return false;
  o.mix_get = g;
  o.mix_put = p;
  o.mix_head = h;
  return true;
}

// Runs fn(worker) on one thread per worker and waits for all.
template <class Fn>
void on_all_workers(std::vector<std::unique_ptr<perf::kv_worker>>& workers, Fn&& fn) {
  std::vector<std::jthread> threads;
  threads.reserve(workers.size());
  for (auto& w : workers) threads.emplace_back([&fn, &w] { fn(*w); });
}

perf::op_stats collect(std::vector<std::unique_ptr<perf::kv_worker>>& workers) {
  perf::op_stats all;
  for (auto& w : workers)
    for (auto& ch : w->all()) all.merge(std::move(ch.stats()));
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  cli_options o;
  auto& w = o.workload;
  CLI::App app{
      "KV-cache workload generator for kvgate: LMCache wire shapes, HEAD storms, chat "
      "and steady mixes over keep-alive HTTP/1.1 on loopback; bounded runs"};
  app.add_option("--host", o.host, "IPv4 loopback address of the server");
  app.add_option("--port", o.port, "server port")->required();
  app.add_option("--workload", w.workload,
                 "put|get|lmcache-put|lmcache-get|head-storm|exists-storm|chat|mix")
      ->check(CLI::IsMember({"put", "get", "lmcache-put", "lmcache-get", "head-storm",
                             "exists-storm", "chat", "mix"}));
  app.add_option("--segment-mib", o.segment_mib, "segment (object) size, the same for the run")
      ->check(CLI::Range(std::size_t{1}, std::size_t{80}));
  app.add_option("--connections", o.connections,
                 "concurrent clients (chat: users); LMCache-shaped workloads give each client "
                 "--part-connections connections")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  app.add_option("--part-connections", o.part_connections,
                 "connections per client carrying an object's parts/ranges in parallel")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16}));
  app.add_option("--seconds", o.seconds, "time budget: no new object/prompt/round after it")
      ->check(CLI::Range(0.01, 600.0));
  app.add_option("--max-requests", o.max_requests,
                 "HTTP request budget: no new object/prompt/round once reached")
      ->check(CLI::PositiveNumber);
  app.add_option("--objects", w.objects, "distinct segment keys")->check(CLI::PositiveNumber);
  app.add_option("--bucket", o.bucket, "bucket (created when missing)");
  app.add_option("--prefix", w.prefix, "key prefix");
  app.add_flag("--verify", w.verify, "compare every byte read with the written pattern");
  app.add_flag("!--no-populate", o.populate, "read workloads: the objects already exist");
  app.add_option("--heads-per-prompt", w.heads_per_prompt, "head-storm: serial HEADs per prompt")
      ->check(CLI::PositiveNumber);
  app.add_option("--miss-ratio", w.miss_ratio, "head-storm: fraction of HEADs for absent keys")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--rounds", w.rounds, "chat: rounds per user")->check(CLI::PositiveNumber);
  app.add_option("--system-segments", w.system_segments, "chat: shared system-prompt segments");
  app.add_option("--mix", o.mix, "mix: GET:PUT:HEAD weights");
  app.add_option("--seed", w.seed, "random seed (key choice, part order)");
  app.add_option("--server-pid", o.server_pid,
                 "server process: report its CPU seconds per GiB moved and its RSS");
  app.add_option("--connections-idle", o.connections_idle,
                 "extra idle keep-alive connections held open during the run")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100000}));
  app.add_option("--latency-out", o.latency_out, "write every latency sample (op<TAB>ms) here");
  app.add_flag("--json", o.json, "print one JSON object instead of a table");
  CLI11_PARSE(app, argc, argv);
  if (!o.host.starts_with("127.")) {
    fmt::print(stderr, "refusing non-loopback host {}\n", o.host);
    return 2;
  }
  if (!parse_mix(o.mix, w)) {
    fmt::print(stderr, "--mix wants GET:PUT:HEAD weights, e.g. 60:20:20\n");
    return 2;
  }
  w.segment_bytes = o.segment_mib << 20;
  const char* ak = std::getenv("KVGATE_ACCESS_KEY");
  const char* sk = std::getenv("KVGATE_SECRET_KEY");
  if (ak == nullptr || sk == nullptr) {
    fmt::print(stderr, "set KVGATE_ACCESS_KEY and KVGATE_SECRET_KEY\n");
    return 2;
  }
  const std::size_t fd_limit = perf::raise_open_file_limit();
  const std::size_t lanes = perf::uses_lmcache_shape(w.workload) ? o.part_connections : 1;
  if (o.connections * lanes + o.connections_idle + 16 > fd_limit) {
    fmt::print(stderr, "{} connections need more than the open-file limit {}\n",
               o.connections * lanes + o.connections_idle, fd_limit);
    return 2;
  }

  const perf::s3_endpoint endpoint{
      o.host, o.port, o.bucket,
      kvgate::protocol::signing_credentials{ak, sk, std::nullopt, "us-east-1", "s3"}};
  perf::run_budget budget;
  budget.deadline = bench_clock::time_point::max();
  budget.max_requests = SIZE_MAX;
  perf::kv_workload_context ctx{w, budget};

  std::string setup_error;
  if (!create_bucket(endpoint, budget, setup_error)) {
    fmt::print(stderr, "create bucket {}: {}\n", o.bucket, setup_error);
    return 1;
  }
  std::vector<std::unique_ptr<perf::kv_worker>> workers;
  for (std::size_t i = 0; i < o.connections; ++i)
    workers.push_back(std::make_unique<perf::kv_worker>(i, lanes, endpoint, budget, w.seed));

  // Untimed population of what the read workloads read.
  if (o.populate) {
    const auto keys = perf::keys_to_populate(ctx);
    std::atomic<std::size_t> next{0};
    on_all_workers(workers, [&](perf::kv_worker& k) { perf::populate_worker(k, ctx, keys, next); });
    auto populated = collect(workers);
    if (populated.errors(false) > 0) {
      fmt::print(stderr, "populating {} objects failed: {}\n", keys.size(),
                 populated.first_error());
      return 1;
    }
  }

  idle_connections idle = open_idle(endpoint, o.connections_idle);
  std::optional<perf::server_sample> server_before;
  if (o.server_pid > 0) server_before = perf::sample_server(o.server_pid);

  budget.sent = 0;
  budget.max_requests = o.max_requests;
  const auto start = bench_clock::now();
  budget.deadline = start + std::chrono::duration_cast<bench_clock::duration>(
                                std::chrono::duration<double>(o.seconds));
  std::size_t run_peak_rss_kib = 0;  // largest VmRSS seen every 50 ms during the run
  {
    std::jthread rss_sampler;
    if (o.server_pid > 0)
      rss_sampler = std::jthread([&](std::stop_token stop) {
        while (!stop.stop_requested()) {
          if (auto s = perf::sample_server(o.server_pid))
            run_peak_rss_kib = std::max(run_peak_rss_kib, s->rss_kib);
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      });
    on_all_workers(workers, [&](perf::kv_worker& k) { perf::run_workload(k, ctx); });
  }
  const double elapsed = std::chrono::duration<double>(bench_clock::now() - start).count();

  std::optional<perf::server_sample> server_after;
  if (o.server_pid > 0) server_after = perf::sample_server(o.server_pid);
  const std::size_t idle_open = idle.open.size();
  idle.open.clear();

  perf::op_stats stats = collect(workers);
  stats.sort();
  const std::size_t errors = stats.errors() + idle.failed;
  const std::size_t requests = stats.wire_requests();
  const double moved_gib = static_cast<double>(stats.wire_bytes()) / (1u << 30);

  nlohmann::json server = nullptr;
  if (server_before && server_after) {
    const double cpu = server_after->cpu_seconds - server_before->cpu_seconds;
    server = {{"pid", o.server_pid},
              {"cpu_seconds", cpu},
              {"cpu_seconds_per_gib", moved_gib > 0 ? nlohmann::json(cpu / moved_gib) : nullptr},
              {"rss_kib_before", server_before->rss_kib},
              {"rss_kib", server_after->rss_kib},
              {"rss_kib_run_peak", std::max(run_peak_rss_kib, server_after->rss_kib)},
              {"hwm_kib", server_after->hwm_kib}};
  } else if (o.server_pid > 0) {
    server = {{"pid", o.server_pid}, {"error", "cannot read /proc/<pid>"}};
  }

  if (!o.latency_out.empty()) {
    std::FILE* f = std::fopen(o.latency_out.c_str(), "w");
    if (f == nullptr) {
      fmt::print(stderr, "cannot write {}\n", o.latency_out);
      return 1;
    }
    stats.dump_latencies(f);
    std::fclose(f);
  }

  if (o.json) {
    nlohmann::json j{{"workload", w.workload},
                     {"segment_mib", o.segment_mib},
                     {"connections", o.connections},
                     {"part_connections", lanes},
                     {"connections_idle", idle_open},
                     {"objects", w.objects},
                     {"verify", w.verify},
                     {"seconds", elapsed},
                     {"requests", requests},
                     {"errors", errors},
                     {"moved_gib", moved_gib},
                     {"ops", stats.to_json(elapsed)},
                     {"server", server},
                     {"first_error", idle.first_error.empty() ? stats.first_error()
                                                              : "idle: " + idle.first_error}};
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print(
        "{} x{} clients ({} connections each{}), {} MiB segments: {} requests, {} errors "
        "in {:.2f} s{}\n",
        w.workload, o.connections, lanes,
        o.connections_idle ? fmt::format(", {} idle open", idle_open) : std::string(),
        o.segment_mib, requests, errors, elapsed, w.verify ? ", bytes verified" : "");
    stats.print_table(elapsed);
    fmt::print(
        "(* = object-level: a whole segment, prompt or round; not counted again in MiB "
        "moved)\n");
    if (!idle.first_error.empty())
      fmt::print("idle connections: {} failed, first: {}\n", idle.failed, idle.first_error);
    if (server_before && server_after) {
      const double cpu = server_after->cpu_seconds - server_before->cpu_seconds;
      fmt::print(
          "server pid {}: {:.2f} CPU s ({} per GiB moved); RSS {:.1f} MiB at the end, {:.1f} MiB "
          "before the run, {:.1f} MiB largest during it (sampled every 50 ms); process peak "
          "{:.1f} MiB\n",
          o.server_pid, cpu,
          moved_gib > 0 ? fmt::format("{:.3f} s", cpu / moved_gib) : std::string("n/a"),
          server_after->rss_kib / 1024.0, server_before->rss_kib / 1024.0,
          std::max(run_peak_rss_kib, server_after->rss_kib) / 1024.0,
          server_after->hwm_kib / 1024.0);
    }
  }
  return errors == 0 && stats.errors(false) == 0 && requests > 0 ? 0 : 1;
}
