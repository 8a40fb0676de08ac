// A caller memory region registered for RDMA (client::register_memory).
//
// While the handle lives, transfers whose buffer lies inside the region are
// eligible for the RDMA fast path: the region is registered (ibv_reg_mr,
// pinned, REMOTE_WRITE | REMOTE_READ) with the protection domain of the
// client's RDMA session, so the gateway writes GET bytes straight into it
// and reads PUT bytes straight out of it. Destroying the handle (or reset())
// deregisters it; no operation using the region may be in flight then.
// Move-only; may outlive the client that made it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace kvgate::sdk {

namespace detail {
class rdma_memory_registry;
}

class registered_memory {
 public:
  registered_memory() = default;
  registered_memory(std::shared_ptr<detail::rdma_memory_registry> owner, std::uint64_t id,
                    std::span<std::byte> bytes) noexcept
      : owner_(std::move(owner)), id_(id), bytes_(bytes) {}
  registered_memory(registered_memory&& other) noexcept;
  registered_memory& operator=(registered_memory&& other) noexcept;
  registered_memory(const registered_memory&) = delete;
  registered_memory& operator=(const registered_memory&) = delete;
  ~registered_memory() { reset(); }

  std::span<std::byte> bytes() const noexcept { return bytes_; }
  explicit operator bool() const noexcept { return owner_ != nullptr; }
  // Deregisters now (idempotent).
  void reset() noexcept;

 private:
  std::shared_ptr<detail::rdma_memory_registry> owner_;
  std::uint64_t id_ = 0;
  std::span<std::byte> bytes_;
};

}  // namespace kvgate::sdk
