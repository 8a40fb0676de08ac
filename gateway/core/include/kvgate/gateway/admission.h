// Admission limits: how many connections or in-flight requests are served.
//
// An admission_counter hands out admission_ticket RAII objects while fewer
// than `limit` are alive; try_acquire() fails (empty optional) beyond it, and
// the server answers 503 SlowDown instead of refusing the socket.
// Thread-safe (atomic count); tickets may be released on any thread but must
// not outlive their counter.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>

namespace kvgate::gateway {

class admission_counter;

class admission_ticket {
 public:
  admission_ticket(const admission_ticket&) = delete;
  admission_ticket& operator=(const admission_ticket&) = delete;
  admission_ticket(admission_ticket&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)) {}
  admission_ticket& operator=(admission_ticket&& o) noexcept {
    if (this != &o) {
      release();
      owner_ = std::exchange(o.owner_, nullptr);
    }
    return *this;
  }
  ~admission_ticket() { release(); }

 private:
  friend class admission_counter;
  explicit admission_ticket(admission_counter* owner) noexcept : owner_(owner) {}
  void release() noexcept;
  admission_counter* owner_;
};

class admission_counter {
 public:
  explicit admission_counter(std::uint32_t limit) noexcept : limit_(limit) {}
  admission_counter(const admission_counter&) = delete;
  admission_counter& operator=(const admission_counter&) = delete;

  [[nodiscard]] std::optional<admission_ticket> try_acquire() noexcept {
    std::uint32_t now = active_.load(std::memory_order_relaxed);
    while (now < limit_) {
      if (active_.compare_exchange_weak(now, now + 1, std::memory_order_acq_rel)) {
        return admission_ticket(this);
      }
    }
    return std::nullopt;
  }
  std::uint32_t active() const noexcept { return active_.load(std::memory_order_relaxed); }
  std::uint32_t limit() const noexcept { return limit_; }

 private:
  friend class admission_ticket;
  const std::uint32_t limit_;
  std::atomic<std::uint32_t> active_{0};
};

inline void admission_ticket::release() noexcept {
  if (owner_ != nullptr) {
    owner_->active_.fetch_sub(1, std::memory_order_acq_rel);
    owner_ = nullptr;
  }
}

}  // namespace kvgate::gateway
