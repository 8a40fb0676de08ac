// The ordered disks of one erasure set, their identities and health, and a
// small thread pool that runs one task per disk in parallel.
//
// Formatting and identity (docs/formats/erasure-layout.md, "Disk identity"):
// every disk carries .kvgate/format.json naming the deployment, its own disk id,
// the ordered ids of the whole set and the geometry. open() formats blank sets,
// adopts an empty disk in place of a missing one (marking it for a full heal)
// and refuses disks of another deployment.
//
// Thread safety: all members may be called concurrently. A disk taken offline
// (after an fsync or write error) stays offline until the process restarts.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kvgate/erasure/disk.h"
#include "kvgate/erasure/result.h"

namespace kvgate::erasure {

struct set_geometry {
  std::uint32_t k = 0;
  std::uint32_t m = 0;
  std::uint32_t block_size = 0;
};

class disk_set {
 public:
  struct slot {
    std::shared_ptr<disk> d;
    std::string disk_id;
    std::atomic<bool> online{true};
    std::atomic<bool> needs_full_heal{false};
    std::string problem;  // why the disk is offline, for info()
  };

  // Opens the identities of `disks` (set order), formatting where needed.
  // requested_parity < 0 means the default for the disk count.
  [[nodiscard]] static result<std::unique_ptr<disk_set>> open(
      std::vector<std::shared_ptr<disk>> disks, int requested_parity, std::uint32_t block_size,
      std::size_t io_threads);
  ~disk_set();

  std::size_t size() const noexcept { return slots_.size(); }
  const set_geometry& geometry() const noexcept { return geometry_; }
  const std::string& deployment_id() const noexcept { return deployment_id_; }
  slot& at(std::size_t i) noexcept { return *slots_[i]; }
  disk& disk_at(std::size_t i) noexcept { return *slots_[i]->d; }
  bool online(std::size_t i) const noexcept { return slots_[i]->online.load(); }
  std::size_t online_count() const noexcept;
  // Disks that must accept a write for it to be acknowledged: min(k + 1, k + m).
  std::size_t write_quorum() const noexcept;
  void take_offline(std::size_t i, std::string why);

  enum class disk_return { still_offline, returned, replaced };
  struct probe_result {
    disk_return outcome;
    std::string why;  // still_offline: what failed
  };
  // Probes offline disk i while the set is in use: a probe file must be
  // written, synced and removed in .kvgate/tmp; then a format.json naming
  // this slot of this deployment brings the disk back (returned), and an
  // empty disk is adopted into the slot as at start (replaced: it needs a
  // full heal). Anything else leaves it offline. Not thread-safe against
  // itself: one prober (the store's background thread).
  probe_result try_return(std::size_t i);

  // Runs fn(i) for each i in `which` (default: every online disk) in parallel
  // and returns the results in disk order (disks not run report disk_offline).
  std::vector<result<void>> run_each(const std::function<result<void>(std::size_t)>& fn);
  std::vector<result<void>> run_on(const std::vector<std::size_t>& which,
                                   const std::function<result<void>(std::size_t)>& fn);

 private:
  disk_set() = default;
  std::vector<std::unique_ptr<slot>> slots_;
  set_geometry geometry_;
  std::string deployment_id_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

// True when a failed operation means the disk itself is bad (EIO, EROFS, an
// fsync failure) rather than the request (ENOENT, ENOSPC).
bool is_disk_fault(const std::error_code& ec) noexcept;

}  // namespace kvgate::erasure
