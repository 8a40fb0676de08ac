#include "s3_metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "kvgate/erasure/capacity.h"
#include "kvgate/rdma/reply.h"

namespace kvgate::cli {
namespace {

namespace m = gateway::metrics;
using sample = m::scrape_writer::sample;

double as_double(std::uint64_t v) {
  return static_cast<double>(v);
}

// Disks are named by their index in the erasure set, never by path.
void collect_store(m::scrape_writer& w, erasure::store& store) {
  auto info = store.info();
  if (!info) {
    spdlog::warn("metrics: store info unavailable: {}", info.error().message());
    return;
  }
  std::vector<sample> online, state, total, free_bytes;
  online.reserve(info->disks.size());
  state.reserve(info->disks.size() * 3);
  total.reserve(info->disks.size());
  free_bytes.reserve(info->disks.size());
  for (const auto& d : info->disks) {
    const std::string disk = std::to_string(d.set_index);
    online.push_back({{{"disk", disk}}, d.online ? 1.0 : 0.0});
    for (const char* s : {"ok", "healing", "offline"}) {
      state.push_back({{{"disk", disk}, {"state", s}}, d.state == s ? 1.0 : 0.0});
    }
    total.push_back({{{"disk", disk}}, as_double(d.total_bytes)});
    free_bytes.push_back({{{"disk", disk}}, as_double(d.free_bytes)});
  }
  w.add("kvgate_disk_online", "1 when the disk of this erasure-set index is online.",
        m::metric_type::gauge, online);
  w.add("kvgate_disk_state",
        "Disk state by erasure-set index: 1 for the current state (ok, healing, offline).",
        m::metric_type::gauge, state);
  w.add("kvgate_disk_size_bytes", "File system size of the disk (0 while offline).",
        m::metric_type::gauge, total);
  w.add("kvgate_disk_free_bytes", "Free bytes on the disk's file system (0 while offline).",
        m::metric_type::gauge, free_bytes);
  w.add("kvgate_erasure_data_shards", "Data shards per stripe (k).", m::metric_type::gauge,
        {{{}, static_cast<double>(info->k)}});
  w.add("kvgate_erasure_parity_shards", "Parity shards per stripe (m).", m::metric_type::gauge,
        {{{}, static_cast<double>(info->m)}});
  w.add("kvgate_erasure_degraded_reads_total",
        "Reads that rebuilt data from parity because a shard was missing or corrupt.",
        m::metric_type::counter, {{{}, as_double(info->degraded_reads)}});
  w.add("kvgate_erasure_healed_objects_total",
        "Objects repaired by heal (queue, replaced disks, verify with repair).",
        m::metric_type::counter, {{{}, as_double(info->healed_objects)}});
  w.add("kvgate_erasure_bitrot_detected_total",
        "Shards whose bytes failed a block checksum on a read (bitrot); the object is queued "
        "for heal.",
        m::metric_type::counter, {{{}, as_double(info->bitrot_detected)}});
  w.add("kvgate_erasure_bitrot_repaired_total",
        "Shards rewritten by heal after failing a block checksum.", m::metric_type::counter,
        {{{}, as_double(info->bitrot_repaired)}});
  w.add("kvgate_erasure_heal_queue_depth", "Objects waiting in the persistent heal queue.",
        m::metric_type::gauge, {{{}, as_double(info->heal_queue)}});
  w.add("kvgate_buckets", "Buckets.", m::metric_type::gauge, {{{}, as_double(info->buckets)}});
}

void collect_cache(m::scrape_writer& w, erasure::store& store) {
  const erasure::capacity_report r = store.capacity_usage();
  w.add("kvgate_cache_objects", "Committed objects.", m::metric_type::gauge,
        {{{}, as_double(r.node.objects)}});
  w.add("kvgate_cache_used_bytes", "Logical bytes of committed objects (what clients stored).",
        m::metric_type::gauge, {{{}, as_double(r.node.logical_bytes)}});
  w.add("kvgate_cache_stored_bytes", "Bytes of shard files on the disks (data and parity).",
        m::metric_type::gauge, {{{}, as_double(r.node.stored_bytes)}});
  w.add("kvgate_cache_reserved_bytes", "Bytes admitted for writes that have not committed yet.",
        m::metric_type::gauge, {{{}, as_double(r.node.reserved_bytes)}});
  w.add("kvgate_cache_limit_bytes", "Node capacity limit in logical bytes (0 = unlimited).",
        m::metric_type::gauge, {{{}, as_double(r.max_bytes)}});
  w.add("kvgate_cache_limit_objects", "Node limit in objects (0 = unlimited).",
        m::metric_type::gauge, {{{}, as_double(r.max_objects)}});
  w.add("kvgate_cache_high_watermark_ratio", "Fraction of a limit at which the evictor starts.",
        m::metric_type::gauge, {{{}, r.high_watermark}});
  std::vector<sample> objects, bytes;
  objects.reserve(erasure::kEvictionReasons);
  bytes.reserve(erasure::kEvictionReasons);
  for (std::size_t i = 0; i < erasure::kEvictionReasons; ++i) {
    const std::string reason(erasure::to_string(static_cast<erasure::eviction_reason>(i)));
    objects.push_back({{{"reason", reason}}, as_double(r.evicted[i].objects)});
    bytes.push_back({{{"reason", reason}}, as_double(r.evicted[i].bytes)});
  }
  w.add("kvgate_cache_evictions_total", "Objects evicted, by the limit that needed room.",
        m::metric_type::counter, objects);
  w.add("kvgate_cache_evicted_bytes_total", "Logical bytes evicted, by the limit that needed room.",
        m::metric_type::counter, bytes);
  w.add("kvgate_cache_inline_evictions_total",
        "Evictions a write had to wait for (the background evictor fell behind).",
        m::metric_type::counter, {{{}, as_double(r.inline_evictions)}});
  // Age of the least recently used object (its last GET, HEAD or PUT).
  double oldest_age = 0;
  if (r.oldest_access_ns > 0) {
    const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    oldest_age = static_cast<double>(std::max<std::int64_t>(0, now_ns - r.oldest_access_ns)) / 1e9;
  }
  w.add("kvgate_cache_oldest_access_age_seconds",
        "Seconds since the least recently used object was last read or written (0 = empty).",
        m::metric_type::gauge, {{{}, oldest_age}});
  w.add("kvgate_cache_refused_writes_total",
        "Writes refused: quota (no-evict bucket quota) or capacity (507, nothing evictable).",
        m::metric_type::counter,
        {{{{"reason", "quota"}}, as_double(r.refused_quota)},
         {{{"reason", "capacity"}}, as_double(r.refused_capacity)}});
}

// The lifecycle / default-TTL worker (lifecycle_worker.h).
void collect_lifecycle(m::scrape_writer& w, const s3::lifecycle_worker& worker) {
  const s3::lifecycle_stats st = worker.stats();
  w.add("kvgate_lifecycle_expired_objects_total",
        "Objects removed by lifecycle Expiration rules or a bucket's default TTL.",
        m::metric_type::counter, {{{}, as_double(st.expired_objects)}});
  w.add("kvgate_lifecycle_expired_bytes_total", "Logical bytes of the expired objects.",
        m::metric_type::counter, {{{}, as_double(st.expired_bytes)}});
  w.add("kvgate_lifecycle_aborted_uploads_total",
        "Multipart uploads aborted by AbortIncompleteMultipartUpload rules.",
        m::metric_type::counter, {{{}, as_double(st.aborted_uploads)}});
  w.add("kvgate_lifecycle_cycles_total",
        "Complete walks of the lifecycle worker over every bucket with rules or a TTL.",
        m::metric_type::counter, {{{}, as_double(st.cycles)}});
  w.add("kvgate_lifecycle_errors_total",
        "Storage calls of the lifecycle worker that failed (retried next cycle).",
        m::metric_type::counter, {{{}, as_double(st.errors)}});
}

void collect_rdma(m::scrape_writer& w, const s3::s3_service& svc) {
  w.add("kvgate_rdma_enabled", "1 when the RDMA fast path is listening.", m::metric_type::gauge,
        {{{}, svc.rdma ? 1.0 : 0.0}});
  w.add("kvgate_rdma_sessions", "Open RDMA sessions.", m::metric_type::gauge,
        {{{}, svc.rdma ? as_double(svc.rdma->sessions().size()) : 0.0}});
  std::vector<sample> declines;
  declines.reserve(rdma::kAllDeclineReasons.size());
  for (auto reason : rdma::kAllDeclineReasons) {
    declines.push_back({{{"reason", std::string(rdma::to_string(reason))}},
                        as_double(svc.rdma_stats.declines[static_cast<std::size_t>(reason)].load(
                            std::memory_order_relaxed))});
  }
  w.add("kvgate_rdma_declines_total",
        "RDMA requests answered with a decline (the client falls back to TCP), by reason.",
        m::metric_type::counter, declines);
}

// Heal, scrub and verify jobs of the admin API (maintenance_jobs.h).
void collect_jobs(m::scrape_writer& w, const s3::maintenance_jobs& jobs) {
  std::vector<sample> running, progress, last, finished;
  for (std::size_t k = 0; k < s3::kMaintenanceKinds; ++k) {
    const auto kind = static_cast<s3::maintenance_kind>(k);
    const s3::job_kind_stats st = jobs.stats(kind);
    const std::string name(s3::to_string(kind));
    running.push_back({{{"kind", name}}, st.running ? 1.0 : 0.0});
    progress.push_back({{{"kind", name}}, st.progress});
    last.push_back({{{"kind", name}}, static_cast<double>(st.last_finished_unix_ms) / 1000.0});
    for (const auto state : {s3::job_state::done, s3::job_state::failed, s3::job_state::stopped})
      finished.push_back({{{"kind", name}, {"state", std::string(s3::to_string(state))}},
                          as_double(st.finished[static_cast<std::size_t>(state)])});
  }
  w.add("kvgate_maintenance_job_running", "1 while a heal, scrub or verify job runs.",
        m::metric_type::gauge, running);
  w.add("kvgate_maintenance_job_progress_ratio",
        "Objects walked / objects to walk by the latest job of the kind (1 once it ended).",
        m::metric_type::gauge, progress);
  w.add("kvgate_maintenance_job_last_finished_timestamp_seconds",
        "When the latest job of the kind ended (Unix time; 0: none since start).",
        m::metric_type::gauge, last);
  w.add("kvgate_maintenance_jobs_finished_total", "Maintenance jobs ended, by final state.",
        m::metric_type::counter, finished);
}

void collect_lookups(m::scrape_writer& w, const s3::s3_service& svc) {
  std::vector<sample> lookups;
  lookups.reserve(4);
  for (int which = 0; which < 2; ++which) {
    const std::string op = which == 0 ? "HeadObject" : "GetObject";
    for (bool hit : {true, false})
      lookups.push_back({{{"operation", op}, {"result", hit ? "hit" : "miss"}},
                         as_double(svc.lookups.get(which, hit))});
  }
  w.add("kvgate_cache_lookups_total",
        "HeadObject and GetObject answered for an existing object (hit: 2xx, 304) or a missing "
        "one (miss: 404), by operation.",
        m::metric_type::counter, lookups);
}

}  // namespace

void register_s3_metrics(m::registry& registry, const s3::s3_service& service) {
  // RDMA bytes join the core's byte counters as transport="rdma".
  registry.add_counter("kvgate_received_bytes_total", "", {"transport"})
      .add_callback({{"transport", "rdma"}}, [&service] {
        return as_double(service.rdma_stats.bytes_received.load(std::memory_order_relaxed));
      });
  registry.add_counter("kvgate_sent_bytes_total", "", {"transport"})
      .add_callback({{"transport", "rdma"}}, [&service] {
        return as_double(service.rdma_stats.bytes_sent.load(std::memory_order_relaxed));
      });
  auto store = service.store;
  registry.add_collector([store, &service](m::scrape_writer& w) {
    collect_store(w, *store);
    collect_cache(w, *store);
    collect_lookups(w, service);
    if (service.lifecycle) collect_lifecycle(w, *service.lifecycle);
    if (service.jobs) collect_jobs(w, *service.jobs);
    collect_rdma(w, service);
  });
}

}  // namespace kvgate::cli
