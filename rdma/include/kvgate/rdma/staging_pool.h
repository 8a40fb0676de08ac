// The gateway's pre-registered staging memory (docs/rdma-protocol.md,
// "Limits"; performance model in docs/performance.md).
//
// One page-aligned allocation of chunk_count chunks of chunk_bytes each,
// registered once with the transport. Requests lease chunks for their
// lifetime; a GET pipeline fills one chunk from the storage engine while
// others are being RDMA-written, a PUT pipeline reads ahead into several.
//
// Acquisition never waits: try_acquire() hands out between 1 and `wanted`
// chunks, or busy when none is free. Partial grants keep the pool
// deadlock-free (no request holds chunks while waiting for more) and turn
// exhaustion into the protocol's `busy` decline instead of queueing.
//
// Fair sharing across sessions: while S sessions hold chunks (counting the
// one asking), no session may hold more than max(1, chunk_count / S). A lone
// session can use the whole pool; a second one arriving is never starved by
// the first's many requests (the first is declined `busy` beyond its share
// and its clients fall back to TCP, per the protocol). Within a session,
// requests share in arrival order (each is also capped by the transfer's
// max_outstanding).
//
// Thread safety: all members are safe from any thread. Lifetime: leases keep
// the pool alive (shared ownership).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/session_id.h"
#include "kvgate/rdma/transport.h"

namespace kvgate::rdma {

struct staging_pool_config {
  std::size_t chunk_bytes = kMaxWorkRequestBytes;  // multiple of 4096, <= 1 MiB
  std::size_t chunk_count = 64;
};

class staging_lease;

class staging_pool : public std::enable_shared_from_this<staging_pool> {
 public:
  // Errors: invalid_argument (chunk size not a page multiple in (0, 1 MiB],
  // zero chunks), errors of transport::register_memory.
  [[nodiscard]] static result<std::shared_ptr<staging_pool>> create(transport& t,
                                                                    staging_pool_config config);
  ~staging_pool();
  staging_pool(const staging_pool&) = delete;
  staging_pool& operator=(const staging_pool&) = delete;

  // Between 1 and `wanted` chunks for a transfer of session `owner`.
  // Errors: busy (none free, or `owner` holds its fair share already),
  // invalid_argument (wanted == 0).
  [[nodiscard]] result<staging_lease> try_acquire(std::size_t wanted, const session_id& owner);

  std::size_t chunk_bytes() const noexcept { return config_.chunk_bytes; }
  std::size_t chunk_count() const noexcept { return config_.chunk_count; }
  std::size_t available() const;
  // Chunks `owner` holds now.
  std::size_t held_by(const session_id& owner) const;
  const memory_registration& registration() const noexcept { return *registration_; }

 private:
  friend class staging_lease;
  struct aligned_free {
    void operator()(std::byte* p) const noexcept;
  };

  staging_pool(staging_pool_config config, std::unique_ptr<std::byte[], aligned_free> memory);
  std::span<std::byte> chunk(std::size_t index) const noexcept;
  void release(const session_id& owner, const std::vector<std::size_t>& indices) noexcept;

  const staging_pool_config config_;
  std::unique_ptr<std::byte[], aligned_free> memory_;
  std::unique_ptr<memory_registration> registration_;
  mutable std::mutex mutex_;
  std::vector<std::size_t> free_;
  std::unordered_map<session_id, std::size_t, session_id_hash> held_;  // only owners holding > 0
};

// Chunks leased from a staging_pool; returns them when destroyed. Move-only.
class staging_lease {
 public:
  staging_lease() = default;
  staging_lease(staging_lease&&) noexcept = default;
  staging_lease& operator=(staging_lease&& o) noexcept;
  staging_lease(const staging_lease&) = delete;
  staging_lease& operator=(const staging_lease&) = delete;
  ~staging_lease();

  std::size_t size() const noexcept { return indices_.size(); }
  std::span<std::byte> chunk(std::size_t i) const noexcept { return pool_->chunk(indices_[i]); }
  const memory_registration& registration() const noexcept { return pool_->registration(); }

 private:
  friend class staging_pool;
  staging_lease(std::shared_ptr<staging_pool> pool, session_id owner,
                std::vector<std::size_t> indices)
      : pool_(std::move(pool)), owner_(owner), indices_(std::move(indices)) {}

  std::shared_ptr<staging_pool> pool_;
  session_id owner_;
  std::vector<std::size_t> indices_;
};

}  // namespace kvgate::rdma
