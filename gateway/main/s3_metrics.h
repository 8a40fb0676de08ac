// The S3 front end's scrape-time metrics: the erasure store (disks, heal
// queue, degraded reads, repairs), the cache tier (usage, limits, evictions,
// refusals) and the RDMA fast path (sessions, bytes, declines by reason).
// Values are read from what those components already count, at scrape time;
// nothing here runs on a request's path. Names in docs/operations.md.
#pragma once

#include "kvgate/gateway/metrics.h"
#include "kvgate/s3/s3_service.h"

namespace kvgate::cli {

// Registers the collectors. `service` must outlive the last render() of
// `registry` (true for `kvgate serve`: scrapes end when the server's run() returns).
void register_s3_metrics(gateway::metrics::registry& registry, const s3::s3_service& service);

}  // namespace kvgate::cli
