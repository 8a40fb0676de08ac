// State shared by all connections of one http_server. Owned by the server,
// which outlives every session (run() returns only after all sessions ended).
// Immutable once run() starts serving except the atomics, counters and registry, which are
// thread-safe.
#pragma once

#include <atomic>

#include "access_log.h"
#include "kvgate/gateway/admission.h"
#include "kvgate/gateway/config.h"
#include "kvgate/gateway/request_handler.h"
#include "kvgate/gateway/request_id.h"
#include "kvgate/gateway/server_hooks.h"
#include "server_metrics.h"
#include "session_registry.h"

namespace kvgate::gateway {

struct session_env {
  explicit session_env(const server_config& c)
      : config(c),
        connections(c.max_connections),
        // Connections beyond the limit still get a 503 SlowDown answer, up to
        // this many at once; past that the socket is closed at once.
        overload_connections(std::max<std::uint32_t>(16, c.max_connections / 8)),
        inflight(c.max_inflight_requests),
        // HEADs (existence checks on the time-to-first-token path) have their
        // own lane of the same size: a flood of uploads cannot starve them.
        inflight_heads(c.max_inflight_requests),
        log(c.access_log, c.access_log_format),
        stats(metrics) {}

  const server_config config;
  // Set by http_server::run() before the first connection is accepted.
  server_hooks hooks{default_render_error, nullptr, nullptr, nullptr};
  request_handler* handler = nullptr;
  request_id_generator ids;
  admission_counter connections;
  admission_counter overload_connections;
  admission_counter inflight;
  admission_counter inflight_heads;
  access_log log;
  std::atomic<bool> stopping{false};
  session_registry registry;
  metrics::registry metrics;
  server_metrics stats;
  // Where GET /metrics renders (collectors may block). Set by the server.
  asio::thread_pool* blocking = nullptr;
};

}  // namespace kvgate::gateway
