#include "server_metrics.h"

#include <charconv>

namespace kvgate::gateway {
namespace {

constexpr std::array<std::string_view, 5> kTimedNames{"HeadObject", "GetObject", "PutObject",
                                                      "UploadPart", "other"};

metrics::counter& transport_counter(metrics::counter_family& f, std::string_view transport) {
  return f.with({transport});
}

}  // namespace

server_metrics::server_metrics(metrics::registry& r)
    : in_flight(r.add_gauge("kvgate_requests_in_flight",
                            "Requests being handled (health and metrics probes excluded).")
                    .with({})),
      connections(
          r.add_gauge("kvgate_connections", "Open client connections (HTTP and HTTPS).").with({})),
      connections_total(
          r.add_counter("kvgate_connections_total", "Client connections accepted.").with({})),
      requests_(r.add_counter("kvgate_requests_total",
                              "S3 requests completed, by operation and HTTP status code "
                              "(health and metrics probes excluded).",
                              {"operation", "status"})),
      received_tcp_(transport_counter(
          r.add_counter("kvgate_received_bytes_total",
                        "Request body bytes received, by transport (tcp, tls, rdma).",
                        {"transport"}),
          "tcp")),
      received_tls_(transport_counter(
          r.add_counter("kvgate_received_bytes_total", "", {"transport"}), "tls")),
      sent_tcp_(transport_counter(
          r.add_counter("kvgate_sent_bytes_total",
                        "Response body bytes sent, by transport (tcp, tls, rdma).", {"transport"}),
          "tcp")),
      sent_tls_(
          transport_counter(r.add_counter("kvgate_sent_bytes_total", "", {"transport"}), "tls")) {
  auto& duration = r.add_histogram(
      "kvgate_request_duration_seconds",
      "Time from the request's header section to the end of its response, by operation "
      "(HeadObject, GetObject, PutObject, UploadPart, other).",
      {"operation"}, {kRequestDurationBounds.begin(), kRequestDurationBounds.end()});
  for (std::size_t i = 0; i < kTimedOperations; ++i) {
    duration_[i] = &duration.with({kTimedNames[i]});
  }
}

std::size_t server_metrics::timed_index(std::string_view operation) noexcept {
  for (std::size_t i = 0; i + 1 < kTimedOperations; ++i) {
    if (kTimedNames[i] == operation) return i;
  }
  return kTimedOperations - 1;
}

void server_metrics::record_request(std::string_view operation, unsigned status,
                                    std::chrono::steady_clock::duration elapsed, bool tls,
                                    std::uint64_t bytes_in, std::uint64_t bytes_out) {
  if (operation.empty()) operation = "Unknown";
  std::array<char, 8> code{};
  auto [end, ec] = std::to_chars(code.data(), code.data() + code.size(), status);
  (void)ec;
  requests_.with({operation, std::string_view(code.data(), end - code.data())}).inc();
  duration_[timed_index(operation)]->observe(std::chrono::duration<double>(elapsed).count());
  (tls ? received_tls_ : received_tcp_).inc(bytes_in);
  (tls ? sent_tls_ : sent_tcp_).inc(bytes_out);
}

}  // namespace kvgate::gateway
