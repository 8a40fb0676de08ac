#include "kvgate/s3/maintenance_jobs.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace kvgate::s3 {
namespace {

constexpr std::string_view kStateNames[kJobStates] = {"running", "stopping", "done", "failed",
                                                      "stopped"};

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool ended(job_state s) noexcept {
  return s == job_state::done || s == job_state::failed || s == job_state::stopped;
}

}  // namespace

std::string_view to_string(job_state state) noexcept {
  return kStateNames[static_cast<std::size_t>(state)];
}

struct maintenance_jobs::job {
  std::uint64_t id = 0;
  maintenance_request request;
  std::int64_t started_unix_ms = 0;
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> total{0};
  // Guarded by maintenance_jobs::mu_.
  job_state state = job_state::running;
  std::int64_t finished_unix_ms = 0;
  nlohmann::json result;
  std::string error;
  std::jthread thread;

  job_snapshot snapshot() const {
    return {id,
            request,
            state,
            done.load(std::memory_order_relaxed),
            total.load(std::memory_order_relaxed),
            started_unix_ms,
            finished_unix_ms,
            result,
            error};
  }
};

nlohmann::json to_json(const job_snapshot& j) {
  nlohmann::json out{{"id", j.id},
                     {"kind", to_string(j.request.kind)},
                     {"request", to_json(j.request)},
                     {"state", to_string(j.state)},
                     {"done", j.done},
                     {"total", j.total},
                     {"started_unix_ms", j.started_unix_ms},
                     {"finished_unix_ms", nullptr},
                     {"result", j.result}};
  if (j.finished_unix_ms != 0) out["finished_unix_ms"] = j.finished_unix_ms;
  if (j.state == job_state::failed) out["error"] = j.error;
  return out;
}

maintenance_jobs::maintenance_jobs(std::shared_ptr<erasure::store> store)
    : store_(std::move(store)) {}

maintenance_jobs::~maintenance_jobs() {
  std::map<std::uint64_t, std::shared_ptr<job>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
    for (auto& [id, j] : jobs) j->thread.request_stop();
  }
  // Joined outside the lock: a job's last step takes it.
  for (auto& [id, j] : jobs)
    if (j->thread.joinable()) j->thread.join();
}

text_result<job_snapshot> maintenance_jobs::start(maintenance_request request) {
  std::lock_guard lock(mu_);
  for (const auto& [id, j] : jobs_)
    if (j->request.kind == request.kind && !ended(j->state))
      return fmt::format("a {} job (id {}) is running; wait for it or stop it first",
                         to_string(request.kind), id);
  prune_locked();
  auto j = std::make_shared<job>();
  j->id = next_id_++;
  j->request = std::move(request);
  j->started_unix_ms = unix_ms();
  jobs_.emplace(j->id, j);
  spdlog::info("maintenance job {} started: {}", j->id, to_json(j->request).dump());
  // The thread holds a plain reference: the job outlives it (the destructor
  // and prune_locked() join before dropping a record).
  j->thread = std::jthread([this, raw = j.get()](const std::stop_token& stop) { run(*raw, stop); });
  return j->snapshot();
}

void maintenance_jobs::run(job& j, const std::stop_token& stop) {
  auto outcome = run_maintenance(
      *store_, j.request,
      [&j](std::uint64_t done, std::uint64_t total) {
        j.total.store(total, std::memory_order_relaxed);
        j.done.store(done, std::memory_order_relaxed);
      },
      stop);
  std::lock_guard lock(mu_);
  j.finished_unix_ms = unix_ms();
  if (!outcome) {
    j.state = job_state::failed;
    j.error = outcome.error();
    spdlog::warn("maintenance job {} ({}) failed: {}", j.id, to_string(j.request.kind), j.error);
  } else {
    j.state = outcome->value("stopped", false) ? job_state::stopped : job_state::done;
    j.result = std::move(*outcome);
    spdlog::info("maintenance job {} ({}) {}: {}", j.id, to_string(j.request.kind),
                 to_string(j.state), j.result.dump());
  }
  const auto kind = static_cast<std::size_t>(j.request.kind);
  ++finished_[kind][static_cast<std::size_t>(j.state)];
  last_finished_ms_[kind] = j.finished_unix_ms;
}

void maintenance_jobs::prune_locked() {
  std::size_t finished = 0;
  for (const auto& [id, j] : jobs_) finished += ended(j->state) ? 1 : 0;
  // Oldest first (ids grow); an ended job's thread has left run(): join is immediate.
  for (auto it = jobs_.begin(); it != jobs_.end() && finished >= kKeptJobs;) {
    if (!ended(it->second->state)) {
      ++it;
      continue;
    }
    if (it->second->thread.joinable()) it->second->thread.join();
    it = jobs_.erase(it);
    --finished;
  }
}

std::optional<job_snapshot> maintenance_jobs::find(std::uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second->snapshot();
}

std::vector<job_snapshot> maintenance_jobs::list() const {
  std::lock_guard lock(mu_);
  std::vector<job_snapshot> out;
  out.reserve(jobs_.size());
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) out.push_back(it->second->snapshot());
  return out;
}

std::optional<job_snapshot> maintenance_jobs::stop(std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  job& j = *it->second;
  if (j.state == job_state::running) {
    j.thread.request_stop();
    j.state = job_state::stopping;
  }
  return j.snapshot();
}

job_kind_stats maintenance_jobs::stats(maintenance_kind kind) const {
  std::lock_guard lock(mu_);
  job_kind_stats out;
  const auto k = static_cast<std::size_t>(kind);
  out.finished = finished_[k];
  out.last_finished_unix_ms = last_finished_ms_[k];
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
    const job& j = *it->second;
    if (j.request.kind != kind) continue;
    out.running = !ended(j.state);
    const std::uint64_t total = j.total.load(std::memory_order_relaxed);
    out.progress = !out.running ? 1.0
                   : total == 0 ? 0.0
                                : static_cast<double>(j.done.load(std::memory_order_relaxed)) /
                                      static_cast<double>(total);
    break;
  }
  return out;
}

}  // namespace kvgate::s3
