#include "kvgate/s3/info_report.h"

#include "kvgate/s3/cache_policy.h"

namespace kvgate::s3 {

nlohmann::json info_report(erasure::store& store, const erasure::store_info& info) {
  nlohmann::json j;
  j["deployment_id"] = info.deployment_id;
  j["k"] = info.k;
  j["m"] = info.m;
  j["block_size"] = info.block_size;
  j["objects"] = info.objects;
  j["logical_bytes"] = info.logical_bytes;
  j["buckets"] = info.buckets;
  j["heal_queue"] = info.heal_queue;
  j["degraded_reads"] = info.degraded_reads;
  j["healed_objects"] = info.healed_objects;
  j["bitrot_detected"] = info.bitrot_detected;
  j["bitrot_repaired"] = info.bitrot_repaired;
  j["disks"] = nlohmann::json::array();
  for (const auto& d : info.disks)
    j["disks"].push_back({{"path", d.path.string()},
                          {"disk_id", d.disk_id},
                          {"index", d.set_index},
                          {"state", d.state},
                          {"total_bytes", d.total_bytes},
                          {"free_bytes", d.free_bytes}});
  auto policy = kept_cache_policy(store);
  if (policy) {
    j["cache"] = report_json(store.capacity_usage(), *policy);
  } else {
    j["cache"] = nullptr;
    j["cache_error"] = policy.error();
  }
  return j;
}

}  // namespace kvgate::s3
