// The client's registered memory and its current rc1 session (private to
// the SDK). client::register_memory() adds a region here; the region is
// registered (ibv_reg_mr: pinned, REMOTE_WRITE | REMOTE_READ) in the
// protection domain of every session's queue pair: at once when a session
// is connected, else when the next session connects. A transfer's token
// names the rkey of the region that holds its buffer.
//
// One session at a time ("rail 0"); requests share it (the gateway allows
// max_inflight_per_session). A session that failed, expired or was fenced is
// dropped: requests still holding it keep its link alive until they finish,
// then the link is destroyed (MRs deregistered, QP destroyed).
//
// Thread safety: all members are safe from any thread. Lifetime: shared by
// the client and every registered_memory handle, so a handle may outlive
// its client.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "kvgate/rdma/capabilities.h"
#include "kvgate/rdma/errc.h"
#include "kvgate/sdk/rdma_link.h"
#include "kvgate/sdk/registered_memory.h"

namespace kvgate::sdk::detail {

struct memory_region {
  std::uint64_t id = 0;
  std::span<std::byte> bytes;
};

// A connected session: the gateway's grant, the queue pair, the rkey of
// every region registered in its protection domain.
class live_session {
 public:
  live_session(rdma::session_created grant, std::unique_ptr<rdma_link> link)
      : grant_(std::move(grant)), link_(std::move(link)) {}

  const rdma::session_created& grant() const noexcept { return grant_; }
  // The token of [data, data + size) inside `region`; nullopt when the
  // region is not registered with this session (or the session is fenced).
  std::optional<std::string> token(const memory_region& region, const std::byte* data,
                                   std::uint64_t size) const;
  // Moves the queue pair to error (window fencing, docs/rdma-protocol.md §8).
  void fence();
  bool usable() const;

 private:
  friend class rdma_memory_registry;
  rdma::session_created grant_;
  mutable std::mutex mutex_;
  std::unique_ptr<rdma_link> link_;
  std::map<std::uint64_t, std::uint32_t> rkeys_;  // region id -> rkey
  bool fenced_ = false;
};

class rdma_memory_registry {
 public:
  std::uint64_t add(std::span<std::byte> bytes);
  // Deregisters from the current session and forgets the region.
  void remove(std::uint64_t id);
  // The region holding all of [data, data + size), if any.
  std::optional<memory_region> find(const std::byte* data, std::uint64_t size) const;
  bool empty() const;

  // The current session if it is still usable.
  std::shared_ptr<live_session> current() const;
  // Registers every region with a newly connected session and makes it
  // current, unless another usable session became current meanwhile (then
  // that one is returned and `fresh` is dropped). Errors: the first failed
  // registration (device_error).
  rdma::result<std::shared_ptr<live_session>> install(std::shared_ptr<live_session> fresh);
  // Stops using `s` (when it is current); fences it first when asked.
  void drop(const std::shared_ptr<live_session>& s, bool fence);

  // Single flight for session creation: true for the caller that must
  // create the session; others wait until end_creation().
  bool begin_creation();
  void end_creation();
  bool creating() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::span<std::byte>> regions_;
  std::uint64_t next_id_ = 1;
  std::shared_ptr<live_session> current_;
  bool creating_ = false;
};

}  // namespace kvgate::sdk::detail
