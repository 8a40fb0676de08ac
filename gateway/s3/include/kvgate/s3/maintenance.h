// The engine's maintenance operations as `kvgate heal|scrub|verify` run them
// offline and as the admin API's jobs run them on a live server (docs/api.md,
// "Maintenance jobs"; maintenance_jobs.h): one function per operation so both
// do the same work and report the same JSON.
//
//   heal    one object, a bucket or everything (which also rebuilds a replaced
//           disk), then the heal queue;  {"healed_objects", "problems": [...]}
//   scrub   every block of every object at a bounded rate, repair (unless
//           told not to), collect orphans;  {"objects_checked", "bytes_checked",
//           "corrupt_blocks", "objects_repaired", "objects_unrecoverable",
//           "orphans_removed"}
//   verify  one object, a bucket or everything, block by block, no repair;
//           {"objects", "problems": [...]}
//   reindex (a running server's) the index checked against the disks and set
//           right where it differs (store::reconcile_index);
//           {"objects_checked", "index_added", "index_updated",
//           "index_removed", "buckets_added"}. Offline `kvgate reindex`
//           rebuilds the whole index instead (store::reindex).
//
// Every result also carries "ok" (false: heal left an object unreadable,
// scrub found one unrecoverable, verify found any problem; the verbs exit 1)
// and "stopped" (the walk ended early on a stop request).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "kvgate/erasure/store.h"
#include "kvgate/s3/cache_policy.h"

namespace kvgate::s3 {

enum class maintenance_kind { heal, scrub, verify, reindex };
inline constexpr std::size_t kMaintenanceKinds = 4;

std::string_view to_string(maintenance_kind kind) noexcept;
std::optional<maintenance_kind> parse_maintenance_kind(std::string_view name) noexcept;

struct maintenance_request {
  maintenance_kind kind = maintenance_kind::verify;
  std::string bucket;  // heal, verify: only this bucket (empty: all)
  std::string key;     // heal, verify: only this object (needs bucket)
  // scrub
  double max_bytes_per_second = 0;  // 0: unlimited
  bool repair = true;
  std::chrono::seconds orphan_grace{3600};
};

// The admin API's job request body: {"kind": "heal"|"scrub"|"verify"|"reindex",
// "bucket", "key", "rate_mib_per_second", "repair", "orphan_grace_seconds"};
// unknown members and wrong types are refused with a sentence.
text_result<maintenance_request> maintenance_request_from_json(const nlohmann::json& j);
nlohmann::json to_json(const maintenance_request& r);

// Runs the operation in the caller's thread. `progress` gets (done, total)
// in objects. A storage failure ends it with a sentence.
text_result<nlohmann::json> run_maintenance(erasure::store& store,
                                            const maintenance_request& request,
                                            const erasure::progress_fn& progress,
                                            const std::stop_token& stop);

}  // namespace kvgate::s3
