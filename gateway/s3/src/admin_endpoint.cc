// kvgate's admin API under /.kvgate/v1/admin/ (docs/cache.md, "Admin API"),
// signed like any S3 request and served to the root credentials only:
//   GET  /.kvgate/v1/admin/info              what `kvgate info` shows: disks,
//        objects, heal queue, degraded reads, bitrot, and the capacity report
//   GET  /.kvgate/v1/admin/capacity          usage, limits, counters (JSON)
//   POST /.kvgate/v1/admin/capacity[?evict]  apply a JSON policy change (kept
//        with the data, like `kvgate capacity` offline), optionally run one
//        eviction pass, then answer the same report.
//   GET  /.kvgate/v1/admin/jobs              every kept maintenance job (JSON)
//   POST /.kvgate/v1/admin/jobs              start a heal, scrub or verify job
//        ({"kind": ...}, maintenance.h); 202 with the job, 409 OperationAborted
//        while one of that kind runs
//   GET  /.kvgate/v1/admin/jobs/ID           one job: state, progress, result
//   DELETE /.kvgate/v1/admin/jobs/ID         ask it to stop; 404 NoSuchJob
// g++ 12 at -O2 with ASan inlines Asio's coroutine frame allocator
// (aligned_alloc) and its sized operator delete and reports a false
// -Wmismatched-new-delete at the end of coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "cache_operations.h"
#include "cluster_endpoint.h"
#include "kvgate/s3/cache_policy.h"
#include "kvgate/s3/info_report.h"
#include "kvgate/s3/lifecycle_worker.h"
#include "kvgate/s3/maintenance_jobs.h"
#include "xml_request_body.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;
using json = nlohmann::json;

constexpr std::size_t kMaxAdminBodyBytes = 1u << 20;

json lifecycle_json(const lifecycle_worker* worker) {
  if (worker == nullptr) return nullptr;
  const lifecycle_stats s = worker->stats();
  return {{"passes", s.passes},
          {"cycles", s.cycles},
          {"expired_objects", s.expired_objects},
          {"expired_bytes", s.expired_bytes},
          {"aborted_uploads", s.aborted_uploads},
          {"errors", s.errors}};
}

// The report, built on the blocking pool; on failure returns empty and
// `failure` holds a sentence.
std::string capacity_report(const s3_service& svc, std::uint64_t evicted_now, bool evicted,
                            std::string& failure) {
  auto policy = kept_cache_policy(*svc.store);
  if (!policy) {
    failure = policy.error();
    return {};
  }
  json j = report_json(svc.store->capacity_usage(), *policy);
  j["lifecycle"] = lifecycle_json(svc.lifecycle.get());
  if (evicted) j["evicted_now"] = evicted_now;
  return j.dump(2);
}

asio::awaitable<void> async_capacity(op_context& op) {
  const s3_service& svc = op.service;
  std::optional<cache_policy_change> change;
  const bool evict = protocol::find_param(op.req.query, "evict") != nullptr;
  if (op.req.method == "POST") {
    auto body = co_await async_read_xml_body(op, kMaxAdminBodyBytes);
    if (!body) co_return co_await op.async_fail(body.error());
    if (body->find_first_not_of(" \t\r\n") != std::string::npos) {
      const json j = json::parse(*body, nullptr, false);
      if (j.is_discarded())
        co_return co_await op.async_fail(s3_error::invalid_argument, "The body is not JSON.");
      auto parsed = change_from_json(j);
      if (!parsed) co_return co_await op.async_fail(s3_error::invalid_argument, parsed.error());
      change = std::move(*parsed);
    }
  } else if (op.req.method != "GET") {
    co_return co_await op.async_fail(s3_error::method_not_allowed);
  }
  std::string failure;
  bool refused = false;  // the change itself was invalid (400), not the store (500)
  std::string body;
  co_await op.async_storage([&] {
    if (change) {
      auto applied = svc.cache_policy->change(*change);
      if (!applied) {
        failure = applied.error();
        refused = true;
        return;
      }
    }
    std::uint64_t evicted = 0;
    if (evict && op.req.method == "POST") {
      auto n = svc.store->evict_now();
      if (!n) {
        failure = "eviction failed: " + n.error().message();
        return;
      }
      evicted = *n;
    }
    body = capacity_report(svc, evicted, evict && op.req.method == "POST", failure);
  });
  if (!failure.empty()) {
    co_return co_await op.async_fail(
        refused ? s3_error::invalid_argument : s3_error::internal_error, failure);
  }
  co_await async_send_json(op.ctx, http::status::ok, std::move(body));
}

asio::awaitable<void> async_info(op_context& op) {
  if (op.req.method != "GET") co_return co_await op.async_fail(s3_error::method_not_allowed);
  std::string failure;
  std::string body;
  co_await op.async_storage([&] {
    auto info = op.service.store->info();
    if (!info) {
      failure = "store info failed: " + info.error().message();
      return;
    }
    json j = info_report(*op.service.store, *info);
    j["lifecycle"] = lifecycle_json(op.service.lifecycle.get());
    const lookup_counters& l = op.service.lookups;
    j["lookups"] = {{"HeadObject", {{"hit", l.get(0, true)}, {"miss", l.get(0, false)}}},
                    {"GetObject", {{"hit", l.get(1, true)}, {"miss", l.get(1, false)}}}};
    body = j.dump(2);
  });
  if (!failure.empty()) co_return co_await op.async_fail(s3_error::internal_error, failure);
  co_await async_send_json(op.ctx, http::status::ok, std::move(body));
}

constexpr std::string_view kJobsPath = "v1/admin/jobs";

asio::awaitable<void> async_jobs(op_context& op) {
  maintenance_jobs& jobs = *op.service.jobs;
  if (op.req.method == "GET") {
    json answer;
    answer["jobs"] = json::array();
    for (const job_snapshot& j : jobs.list()) answer["jobs"].push_back(to_json(j));
    std::string text = answer.dump(2);
    co_return co_await async_send_json(op.ctx, http::status::ok, std::move(text));
  }
  if (op.req.method != "POST") co_return co_await op.async_fail(s3_error::method_not_allowed);
  auto body = co_await async_read_xml_body(op, kMaxAdminBodyBytes);
  if (!body) co_return co_await op.async_fail(body.error());
  const json j = json::parse(*body, nullptr, false);
  if (j.is_discarded())
    co_return co_await op.async_fail(s3_error::invalid_argument, "The body is not JSON.");
  auto request = maintenance_request_from_json(j);
  if (!request) co_return co_await op.async_fail(s3_error::invalid_argument, request.error());
  auto started = jobs.start(std::move(*request));
  if (!started) co_return co_await op.async_fail(s3_error::operation_aborted, started.error());
  std::string text = to_json(*started).dump(2);
  co_await async_send_json(op.ctx, http::status::accepted, std::move(text));
}

asio::awaitable<void> async_job(op_context& op, std::string_view id_text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  std::optional<job_snapshot> job;
  const bool valid = ec == std::errc() && end == id_text.data() + id_text.size();
  if (op.req.method == "GET") {
    if (valid) job = op.service.jobs->find(id);
  } else if (op.req.method == "DELETE") {
    if (valid) job = op.service.jobs->stop(id);
  } else {
    co_return co_await op.async_fail(s3_error::method_not_allowed);
  }
  if (!job)
    co_return co_await op.async_fail(s3_error::no_such_job,
                                     fmt::format("No maintenance job has the id {}.", id_text));
  std::string text = to_json(*job).dump(2);
  co_await async_send_json(op.ctx, http::status::ok, std::move(text));
}

}  // namespace

asio::awaitable<void> async_admin_endpoint(op_context& op) {
  const std::string& path = op.req.key;  // after "/.kvgate/"
  // The cluster map is for every authenticated caller (SDK routing).
  if (path == "v1/cluster") co_return co_await async_cluster_endpoint(op);
  if (!op.caller.root)
    co_return co_await op.async_fail(s3_error::access_denied,
                                     "The kvgate admin API is for the root credentials only.");
  if (path == "v1/admin/capacity" && op.service.cache_policy) co_return co_await async_capacity(op);
  if (path == "v1/admin/info") co_return co_await async_info(op);
  if (op.service.jobs && path == kJobsPath) co_return co_await async_jobs(op);
  if (op.service.jobs && path.starts_with(kJobsPath) && path.size() > kJobsPath.size() + 1 &&
      path[kJobsPath.size()] == '/')
    co_return co_await async_job(op, std::string_view(path).substr(kJobsPath.size() + 1));
  co_await op.async_fail(
      s3_error::not_implemented,
      fmt::format("{} /.kvgate/{} is not a kvgate admin endpoint.", op.req.method, path));
}

}  // namespace kvgate::s3
