// What the RDMA fast path did, for /metrics (kvgate_rdma_declines_total,
// kvgate_received_bytes_total / kvgate_sent_bytes_total {transport="rdma"}).
// Plain relaxed atomics bumped once per transfer or decline; read at scrape
// time. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "kvgate/rdma/reply.h"

namespace kvgate::s3 {

struct rdma_counters {
  // Indexed by rdma::decline_reason.
  std::array<std::atomic<std::uint64_t>, rdma::kAllDeclineReasons.size()> declines{};
  std::atomic<std::uint64_t> bytes_received{0};  // client to gateway (PUT, UploadPart)
  std::atomic<std::uint64_t> bytes_sent{0};      // gateway to client (GET)

  void decline(rdma::decline_reason r) noexcept {
    declines[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace kvgate::s3
