// faulty_disk: a disk wrapper for fault injection and simulated power loss.
//
// Purpose: tests (and, later, a test-only gateway config) wrap a real disk in a
// faulty_disk to make chosen operations fail, write short or torn data, return
// corrupted reads, run slowly, go offline, or lose everything not yet durable.
//
// Lifetime: create with make_faulty_disk(). Files it opens keep it alive (they
// hold a shared_ptr), so a file may outlive the caller's handle to the disk.
// The wrapped disk must not be used directly while the faulty_disk is in use:
// the crash model only sees changes made through the wrapper.
//
// Thread safety: every public member may be called from any thread. One mutex
// serialises all operations (latency is slept outside it); this is a test tool,
// not a performance path.
//
// ---------------------------------------------------------------------------
// Fault rules
//   A rule matches a call when `op` is the call's operation (or disk_op::any)
//   and `path_contains` is empty or a substring of the path (either path for
//   rename; the file's current path for file operations). Every matching call
//   advances the rule's own counter; the rule fires on matching call number
//   `nth` (1-based), then on every `every`-th matching call after it (if
//   every > 0), or on every matching call from `nth` on (if `persistent`).
//   The first rule that fires decides the outcome:
//     fail          the call does nothing and returns errno `error`;
//     short_write   (pwrite only) the first half of the data is written, then
//                   the call returns errno `error`;
//     torn_write    (pwrite only) the first half of the data is written and the
//                   call reports success: a lying disk;
//     corrupt_read  (pread only) the read happens, then one byte of the returned
//                   data (the middle one) is flipped.
//   A rule with `probability` below 1 fires on each call it would fire on with
//   that probability (a generator seeded by set_seed(), 0 unless set, so a run
//   repeats). A rule whose kind only applies to pwrite or pread matches no other op.
//   Delay rules (kind `delay`) are consulted apart from the others: every delay
//   rule that fires adds its `delay` to the call, which sleeps that long
//   outside the disk's mutex (other calls proceed meanwhile) and then goes on
//   as usual; the other rules then decide the outcome. A slow disk is a
//   persistent delay rule on the ops to slow down.
//   Offline (set_offline) and crashed disks fail every call with EIO, files
//   opened earlier included; those calls are still counted.
//
// Durability model (what survives crash())
//   1. File data is durable up to the last successful file::sync() of that file.
//      On crash a file reverts to its content at that sync; a file created
//      through this disk and never synced reverts to empty. Files that existed
//      before the faulty_disk was made count as durable as they are. A create()
//      that truncates an existing file is a data change like any write.
//   2. Directory entries change through create (of a new file), make_dirs (each
//      directory it creates), rename, remove and remove_all. Each change is
//      durable once sync_dir() has succeeded on the directory holding the entry
//      after the change; a rename needs both the source and destination
//      directories synced (conservative: real filesystems often need less).
//   3. On crash, file data is reverted first, then non-durable entry changes
//      are undone newest first: a created file is unlinked, a made directory is
//      removed with all it holds, a rename (of a file or a whole directory) is
//      moved back and whatever it replaced is put back, and a removed file or
//      tree is put back. Undo is best effort: if a durable later change moved
//      an entry an earlier undo needs, that undo is skipped.
//   4. Pending changes inside a directory follow it when it is renamed: after
//      rename("a", "b"), sync_dir("b") makes durable what was created in "a".
//   5. Removed and replaced entries are parked in a hidden directory at the
//      disk root (kGraveyard, never listed) until their removal is durable, then
//      purged. The destructor and crash() purge what is left.
//   After crash() every call (and every file opened before it) fails with EIO
//   until revive(); files opened before a crash stay dead after revive().
// ---------------------------------------------------------------------------
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/erasure/disk.h"

namespace kvgate::erasure {

enum class disk_op {
  open_read,
  create,
  pread,
  pwrite,
  sync,
  size,
  rename,
  make_dirs,
  sync_dir,
  remove,
  remove_all,
  list,
  exists,
  usage,
  any,  // in a rule: every operation; in call_count: the total
};

enum class fault_kind { fail, short_write, torn_write, corrupt_read, delay };

struct fault_rule {
  disk_op op = disk_op::any;
  std::string path_contains{};  // {} keeps designated initializers warning-free
  int nth = 1;
  int every = 0;
  bool persistent = false;
  int error = EIO;
  fault_kind kind = fault_kind::fail;
  std::chrono::microseconds delay{0};  // kind delay: how long the call sleeps
  double probability = 1.0;            // of firing when it would fire, (0, 1]
};

class faulty_disk final : public disk, public std::enable_shared_from_this<faulty_disk> {
  struct private_tag {};

 public:
  // Name of the hidden directory at the root where removed entries wait.
  static constexpr std::string_view kGraveyard = ".faulty-disk-graveyard";

  faulty_disk(private_tag, std::shared_ptr<disk> inner);
  ~faulty_disk() override;
  faulty_disk(const faulty_disk&) = delete;
  faulty_disk& operator=(const faulty_disk&) = delete;

  friend std::shared_ptr<faulty_disk> make_faulty_disk(std::shared_ptr<disk> inner);

  // --- control ---
  void add_fault(fault_rule rule);
  void clear_faults();
  // Calls made to `op` so far (disk_op::any: all calls), including failed ones.
  [[nodiscard]] std::uint64_t call_count(disk_op op) const;
  // Sleeps this long before every operation (0 disables).
  void set_latency(std::chrono::microseconds latency);
  // Seeds the generator rules with a probability below 1 draw from.
  void set_seed(std::uint64_t seed);
  void set_offline(bool offline);
  // Simulated power loss: applies the durability model above, then refuses
  // every call until revive().
  void crash();
  void revive();
  [[nodiscard]] std::uint64_t crash_count() const;

  // --- disk ---
  const std::filesystem::path& root() const noexcept override;
  result<std::unique_ptr<file>> open_read(std::string_view path) override;
  result<std::unique_ptr<file>> create(std::string_view path) override;
  result<void> rename(std::string_view from, std::string_view to) override;
  result<void> make_dirs(std::string_view path) override;
  result<void> sync_dir(std::string_view path) override;
  result<void> remove(std::string_view path) override;
  result<void> remove_all(std::string_view path) override;
  result<std::vector<dir_entry>> list(std::string_view path) override;
  result<bool> exists(std::string_view path) override;
  result<disk_usage> usage() override;

 private:
  friend class faulty_file;

  struct rule_state {
    fault_rule rule;
    std::uint64_t seen = 0;
  };
  // What a call is allowed to do after the rules were consulted.
  struct verdict {
    std::optional<std::error_code> error;  // fail now with this
    std::optional<fault_rule> fault;       // a short/torn/corrupt rule fired
  };
  // A file created through this disk: its current path (follows renames and
  // removals) and, while it has unsynced changes, its durable content.
  // Forgotten once no handle is open and nothing is unsynced, so long runs do
  // not accumulate state; a later create() of the path tracks it afresh.
  struct tracked_file {
    std::string path;
    std::optional<std::string> durable;
    int open_handles = 0;
  };
  // One non-durable directory-entry change.
  struct entry_change {
    enum class kind { created_file, made_dir, renamed, removed } what;
    std::string path;                        // the created/made/removed path, or the rename source
    std::string to;                          // rename destination
    std::string parked;                      // graveyard path of the removed or replaced entry
    std::vector<std::string> unsynced_dirs;  // directories still to sync
  };

  // Counts the call, applies latency-free checks (crash, offline, rules).
  verdict check_locked(disk_op op, std::string_view path, std::string_view path2 = {});
  // Whether rule `rs` fires on this matching call (advances its counter).
  bool fires_locked(rule_state& rs);
  // Total delay the delay rules add to this call (advances their counters).
  std::chrono::microseconds delay_locked(disk_op op, std::string_view path,
                                         std::string_view path2 = {});
  // Sleeps the fixed latency plus what the delay rules add, outside the mutex.
  void sleep_for_call(disk_op op, std::string_view path, std::string_view path2 = {});
  // The same for a call of file `id` (its current path), opened at `fallback`.
  void sleep_for_file_call(disk_op op, std::uint64_t id, std::string_view fallback);
  // Checks a call coming from a file opened in crash generation `generation`.
  verdict check_file_locked(disk_op op, std::string_view path, std::uint64_t generation);
  // Current path of tracked file `id`, or `fallback` once it is no longer tracked.
  std::string file_path_locked(std::uint64_t id, std::string_view fallback) const;
  // Saves the durable content of tracked file `id` before its first unsynced change.
  void snapshot_locked(std::uint64_t id);
  void on_file_synced_locked(std::uint64_t id);
  void on_file_closed(std::uint64_t id);
  // Renames tracked paths at or under `from` to live under `to`.
  void move_tracked_locked(std::string_view from, std::string_view to);
  result<std::string> park_locked(std::string_view path);
  void purge_locked(const std::string& parked);
  // Rewrites journal paths at or under `from` to live under `to`, in changes
  // [0, end) of the journal.
  void rebase_journal_locked(std::string_view from, std::string_view to, std::size_t end);
  void record_locked(entry_change change);

  std::shared_ptr<disk> inner_;
  mutable std::mutex mutex_;
  std::vector<rule_state> rules_;
  std::map<disk_op, std::uint64_t> calls_;
  std::atomic<std::int64_t> latency_us_{0};  // read without the mutex
  std::mt19937_64 random_{0};
  bool offline_ = false;
  bool crashed_ = false;
  std::uint64_t crash_count_ = 0;
  std::uint64_t generation_ = 0;  // bumped by crash(); older files are dead
  std::uint64_t next_file_id_ = 1;
  std::uint64_t next_parked_ = 1;
  std::map<std::uint64_t, tracked_file> files_;
  std::vector<entry_change> journal_;  // oldest first
};

// Wraps `inner` (normally a posix disk). Never null.
[[nodiscard]] std::shared_ptr<faulty_disk> make_faulty_disk(std::shared_ptr<disk> inner);

}  // namespace kvgate::erasure
