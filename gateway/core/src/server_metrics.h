// The HTTP core's own metrics (docs/operations.md, "Metrics"): requests by
// operation and status, latency histograms, body bytes by transport, requests
// in flight and connections. Registered once per http_server; the series used
// on every request are looked up at construction so recording is a few
// relaxed atomic adds.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "kvgate/gateway/metrics.h"

namespace kvgate::gateway {

class server_metrics {
 public:
  explicit server_metrics(metrics::registry& r);

  // One completed request. `operation` is the S3 operation the handler set
  // (request_context::set_operation), empty when none was determined.
  void record_request(std::string_view operation, unsigned status,
                      std::chrono::steady_clock::duration elapsed, bool tls, std::uint64_t bytes_in,
                      std::uint64_t bytes_out);

  metrics::gauge& in_flight;
  metrics::gauge& connections;
  metrics::counter& connections_total;

 private:
  // Latency histograms: HeadObject, GetObject, PutObject, UploadPart, other.
  static constexpr std::size_t kTimedOperations = 5;
  static std::size_t timed_index(std::string_view operation) noexcept;

  metrics::counter_family& requests_;
  std::array<metrics::histogram*, kTimedOperations> duration_{};
  metrics::counter& received_tcp_;
  metrics::counter& received_tls_;
  metrics::counter& sent_tcp_;
  metrics::counter& sent_tls_;
};

// Upper bounds of the request latency buckets, 50 us to 30 s.
inline constexpr std::array<double, 18> kRequestDurationBounds{
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};

}  // namespace kvgate::gateway
