// A running server's maintenance jobs (admin API, docs/api.md "Maintenance
// jobs"): heal, scrub and verify (maintenance.h) each on its own thread while
// the server keeps serving, with progress that `kvgate heal|scrub|verify
// --endpoint` polls and /metrics exports.
//
// At most one job of each kind runs at a time (a second is refused). The
// records of the last kKeptJobs finished jobs are kept, with their results.
// stop(id) asks a job to end after the object in hand; the destructor stops
// every running job and joins its thread (server shutdown never waits for a
// whole scrub).
//
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kvgate/erasure/store.h"
#include "kvgate/s3/maintenance.h"

namespace kvgate::s3 {

enum class job_state { running, stopping, done, failed, stopped };
inline constexpr std::size_t kJobStates = 5;
std::string_view to_string(job_state state) noexcept;

struct job_snapshot {
  std::uint64_t id = 0;
  maintenance_request request;
  job_state state = job_state::running;
  std::uint64_t done = 0;   // objects
  std::uint64_t total = 0;  // objects (0 until the walk has listed them)
  std::int64_t started_unix_ms = 0;
  std::int64_t finished_unix_ms = 0;  // 0 while running
  nlohmann::json result;              // run_maintenance()'s report once done or stopped
  std::string error;                  // why it failed
};

// {"id", "kind", "request", "state", "done", "total", "started_unix_ms",
//  "finished_unix_ms" (null while running), "result" (null until it ends),
//  "error" (only when failed)}
nlohmann::json to_json(const job_snapshot& job);

// What /metrics shows per kind.
struct job_kind_stats {
  bool running = false;
  double progress = 0;  // done/total of the latest job of the kind; 1 once it ended
  std::int64_t last_finished_unix_ms = 0;
  std::array<std::uint64_t, kJobStates> finished{};  // ended jobs by final state
};

class maintenance_jobs {
 public:
  static constexpr std::size_t kKeptJobs = 32;

  explicit maintenance_jobs(std::shared_ptr<erasure::store> store);
  ~maintenance_jobs();
  maintenance_jobs(const maintenance_jobs&) = delete;
  maintenance_jobs& operator=(const maintenance_jobs&) = delete;

  // Starts a job; refused with a sentence naming the running one when a job
  // of the same kind runs.
  text_result<job_snapshot> start(maintenance_request request);
  std::optional<job_snapshot> find(std::uint64_t id) const;
  std::vector<job_snapshot> list() const;  // newest first
  // Asks the job to stop; its snapshot (stopping, or already ended).
  std::optional<job_snapshot> stop(std::uint64_t id);
  job_kind_stats stats(maintenance_kind kind) const;

 private:
  struct job;

  void run(job& j, const std::stop_token& stop);
  void prune_locked();

  std::shared_ptr<erasure::store> store_;
  mutable std::mutex mu_;  // guards everything below
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<job>> jobs_;
  std::array<std::array<std::uint64_t, kJobStates>, kMaintenanceKinds> finished_{};
  std::array<std::int64_t, kMaintenanceKinds> last_finished_ms_{};
};

}  // namespace kvgate::s3
