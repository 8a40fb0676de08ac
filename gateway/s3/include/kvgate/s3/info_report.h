// What `kvgate info` and GET /.kvgate/v1/admin/info answer: the erasure
// set (deployment, k+m, block size), every disk (state, size, free), objects,
// bytes and buckets, the heal queue, degraded reads, healed objects and
// bitrot found and repaired, and under "cache" the cache tier's capacity
// report (report_json: usage, limits, evictions, refusals, buckets).
#pragma once

#include <nlohmann/json.hpp>

#include "kvgate/erasure/store.h"

namespace kvgate::s3 {

// The report for `store`; "cache" is null when the kept cache policy cannot
// be read (with "cache_error" saying why).
nlohmann::json info_report(erasure::store& store, const erasure::store_info& info);

}  // namespace kvgate::s3
