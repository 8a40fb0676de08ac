// The client's registered memory and its current rc1 session (private to
// the SDK). client::register_memory() adds a region here; the region is
// registered (ibv_reg_mr: pinned, REMOTE_WRITE | REMOTE_READ) in the
// protection domain of every session's queue pair: at once when a session
// is connected, else when the next session connects. A transfer's token
// names the rkey of the region that holds its buffer.
//
// One session at a time per node ("rail 0" of each gateway the client sends
// RDMA requests to: its endpoint, or with direct cluster routing every member
// that owns keys it reads or writes); requests to that node share it (the
// gateway allows max_inflight_per_session). Every region is registered with
// every node's session, each in its own protection domain. A session that
// failed, expired or was fenced is dropped: requests still holding it keep
// its link alive until they finish, then the link is destroyed (MRs
// deregistered, QP destroyed).
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
#include <set>
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

// A connected session to one node: the gateway's grant, the queue pair, the
// rkey of every region registered in its protection domain.
class live_session {
 public:
  // `node` names the gateway it belongs to (its S3 endpoint).
  live_session(std::string node, rdma::session_created grant, std::unique_ptr<rdma_link> link)
      : node_(std::move(node)), grant_(std::move(grant)), link_(std::move(link)) {}

  const std::string& node() const noexcept { return node_; }
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
  // Registers `bytes` as region `id`; false (logged) when that failed.
  // Under mutex_.
  void register_region(std::uint64_t id, std::span<std::byte> bytes);
  std::string node_;
  rdma::session_created grant_;
  mutable std::mutex mutex_;
  std::unique_ptr<rdma_link> link_;
  std::map<std::uint64_t, std::uint32_t> rkeys_;  // region id -> rkey
  bool fenced_ = false;
};

class rdma_memory_registry {
 public:
  std::uint64_t add(std::span<std::byte> bytes);
  // Deregisters from the nodes' current sessions and forgets the region.
  void remove(std::uint64_t id);
  // The region holding all of [data, data + size), if any.
  std::optional<memory_region> find(const std::byte* data, std::uint64_t size) const;
  bool empty() const;

  // The current session to `node` if it is still usable.
  std::shared_ptr<live_session> current(const std::string& node) const;
  // Registers every region with a newly connected session and makes it its
  // node's current one, unless another usable session to that node became
  // current meanwhile (then that one is returned and `fresh` is dropped).
  // Errors: the first failed registration (device_error).
  rdma::result<std::shared_ptr<live_session>> install(std::shared_ptr<live_session> fresh);
  // Stops using `s` (when it is its node's current one); fences it first
  // when asked.
  void drop(const std::shared_ptr<live_session>& s, bool fence);
  // Nodes with a current session.
  std::size_t session_count() const;

  // Single flight for session creation, per node: true for the caller that
  // must create the session; others wait until end_creation().
  bool begin_creation(const std::string& node);
  void end_creation(const std::string& node);
  bool creating(const std::string& node) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::span<std::byte>> regions_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, std::shared_ptr<live_session>, std::less<>> current_;  // by node
  std::set<std::string, std::less<>> creating_;
};

}  // namespace kvgate::sdk::detail
