// faulty_disk: fault rules, latency, offline, and the crash model described in
// kvgate/erasure/faulty_disk.h.
#include "kvgate/erasure/faulty_disk.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "disk_path.h"

namespace kvgate::erasure {
namespace {

// True if `path` is `base` or lies under it.
bool is_under(std::string_view path, std::string_view base) {
  if (base.empty()) return true;
  if (!path.starts_with(base)) return false;
  return path.size() == base.size() || path[base.size()] == '/';
}

// Rewrites `path` from under `from` to under `to`; false if it is not under `from`.
bool rebase(std::string& path, std::string_view from, std::string_view to) {
  if (from.empty() || !is_under(path, from)) return false;
  path = std::string(to) + path.substr(from.size());
  return true;
}

std::error_code eio() {
  return errno_code(EIO);
}

}  // namespace

// A file opened through a faulty_disk. Consults the disk's rules on every call
// and reports writes and syncs to its crash model. Keeps the disk alive.
// Thread safety: one user at a time (the disk contract); the disk locks itself.
class faulty_file final : public file {
 public:
  faulty_file(std::shared_ptr<faulty_disk> owner, std::unique_ptr<file> inner, std::uint64_t id,
              std::uint64_t generation, std::string path)
      : owner_(std::move(owner)),
        inner_(std::move(inner)),
        id_(id),
        generation_(generation),
        path_(std::move(path)) {}
  faulty_file(const faulty_file&) = delete;
  faulty_file& operator=(const faulty_file&) = delete;
  ~faulty_file() override {
    if (id_ != 0) owner_->on_file_closed(id_);
  }

  result<std::size_t> pread(std::span<std::byte> buf, std::uint64_t offset) override {
    owner_->sleep_for_file_call(disk_op::pread, id_, path_);
    std::lock_guard lock(owner_->mutex_);
    const auto v = owner_->check_file_locked(disk_op::pread, current_path_locked(), generation_);
    if (v.error) return *v.error;
    auto n = inner_->pread(buf, offset);
    if (n && v.fault && *n > 0) buf[*n / 2] ^= std::byte{0xff};
    return n;
  }

  result<void> pwrite(std::span<const std::byte> data, std::uint64_t offset) override {
    owner_->sleep_for_file_call(disk_op::pwrite, id_, path_);
    std::lock_guard lock(owner_->mutex_);
    const auto v = owner_->check_file_locked(disk_op::pwrite, current_path_locked(), generation_);
    if (v.error) return *v.error;
    if (id_ != 0) owner_->snapshot_locked(id_);
    if (!v.fault) return inner_->pwrite(data, offset);
    // short_write or torn_write: only the first half reaches the disk.
    if (auto r = inner_->pwrite(data.first(data.size() / 2), offset); !r) return r;
    if (v.fault->kind == fault_kind::short_write) return errno_code(v.fault->error);
    return {};
  }

  result<void> sync() override {
    owner_->sleep_for_file_call(disk_op::sync, id_, path_);
    std::lock_guard lock(owner_->mutex_);
    const auto v = owner_->check_file_locked(disk_op::sync, current_path_locked(), generation_);
    if (v.error) return *v.error;
    auto r = inner_->sync();
    if (r && id_ != 0) owner_->on_file_synced_locked(id_);
    return r;
  }

  result<std::uint64_t> size() override {
    owner_->sleep_for_file_call(disk_op::size, id_, path_);
    std::lock_guard lock(owner_->mutex_);
    const auto v = owner_->check_file_locked(disk_op::size, current_path_locked(), generation_);
    if (v.error) return *v.error;
    return inner_->size();
  }

 private:
  std::string current_path_locked() const { return owner_->file_path_locked(id_, path_); }

  std::shared_ptr<faulty_disk> owner_;
  std::unique_ptr<file> inner_;
  std::uint64_t id_;  // 0: not tracked (opened for reading)
  std::uint64_t generation_;
  std::string path_;  // path at open time
};

std::shared_ptr<faulty_disk> make_faulty_disk(std::shared_ptr<disk> inner) {
  return std::make_shared<faulty_disk>(faulty_disk::private_tag{}, std::move(inner));
}

faulty_disk::faulty_disk(private_tag, std::shared_ptr<disk> inner) : inner_(std::move(inner)) {}

faulty_disk::~faulty_disk() {
  // Removals that never became durable happened anyway as far as anyone can tell.
  (void)inner_->remove_all(kGraveyard);
}

// --- control ---------------------------------------------------------------

void faulty_disk::add_fault(fault_rule rule) {
  std::lock_guard lock(mutex_);
  rules_.push_back(rule_state{std::move(rule), 0});
}

void faulty_disk::clear_faults() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

std::uint64_t faulty_disk::call_count(disk_op op) const {
  std::lock_guard lock(mutex_);
  if (op != disk_op::any) {
    const auto it = calls_.find(op);
    return it == calls_.end() ? 0 : it->second;
  }
  std::uint64_t total = 0;
  for (const auto& [_, n] : calls_) total += n;
  return total;
}

void faulty_disk::set_latency(std::chrono::microseconds latency) {
  latency_us_.store(latency.count());
}

void faulty_disk::set_seed(std::uint64_t seed) {
  std::lock_guard lock(mutex_);
  random_.seed(seed);
}

void faulty_disk::set_offline(bool offline) {
  std::lock_guard lock(mutex_);
  offline_ = offline;
}

void faulty_disk::crash() {
  std::lock_guard lock(mutex_);
  // 1. File data reverts to its content at the last sync.
  for (const auto& [_, f] : files_) {
    if (!f.durable) continue;
    auto out = inner_->create(f.path);
    if (!out) continue;
    (void)(*out)->pwrite(std::as_bytes(std::span(*f.durable)), 0);
  }
  // 2. Entry changes not yet durable are undone, newest first.
  for (std::size_t i = journal_.size(); i-- > 0;) {
    const entry_change& c = journal_[i];
    switch (c.what) {
      case entry_change::kind::created_file:
        (void)inner_->remove(c.path);
        break;
      case entry_change::kind::made_dir:
        (void)inner_->remove_all(c.path);
        break;
      case entry_change::kind::renamed:
        if (inner_->rename(c.to, c.path)) rebase_journal_locked(c.to, c.path, i);
        if (!c.parked.empty() && inner_->rename(c.parked, c.to)) {
          rebase_journal_locked(c.parked, c.to, i);
        }
        break;
      case entry_change::kind::removed:
        if (inner_->rename(c.parked, c.path)) rebase_journal_locked(c.parked, c.path, i);
        break;
    }
  }
  journal_.clear();
  files_.clear();
  (void)inner_->remove_all(kGraveyard);
  crashed_ = true;
  ++crash_count_;
  ++generation_;
}

void faulty_disk::revive() {
  std::lock_guard lock(mutex_);
  crashed_ = false;
}

std::uint64_t faulty_disk::crash_count() const {
  std::lock_guard lock(mutex_);
  return crash_count_;
}

// --- internals -------------------------------------------------------------

faulty_disk::verdict faulty_disk::check_locked(disk_op op, std::string_view path,
                                               std::string_view path2) {
  ++calls_[op];
  if (crashed_ || offline_) return {eio(), std::nullopt};
  const fault_rule* fired = nullptr;
  for (auto& rs : rules_) {
    const fault_rule& r = rs.rule;
    if (r.kind == fault_kind::delay) continue;  // delay_locked() has seen it
    if (r.op != disk_op::any && r.op != op) continue;
    const bool write_kind = r.kind == fault_kind::short_write || r.kind == fault_kind::torn_write;
    if (write_kind && op != disk_op::pwrite) continue;
    if (r.kind == fault_kind::corrupt_read && op != disk_op::pread) continue;
    if (!r.path_contains.empty() && path.find(r.path_contains) == std::string_view::npos &&
        path2.find(r.path_contains) == std::string_view::npos) {
      continue;
    }
    if (fires_locked(rs) && fired == nullptr) fired = &r;
  }
  if (fired == nullptr) return {};
  if (fired->kind == fault_kind::fail) return {errno_code(fired->error), std::nullopt};
  return {std::nullopt, *fired};
}

faulty_disk::verdict faulty_disk::check_file_locked(disk_op op, std::string_view path,
                                                    std::uint64_t generation) {
  auto v = check_locked(op, path);
  // A file opened before a crash died with it, even after revive().
  if (!v.error && generation != generation_) return {eio(), std::nullopt};
  return v;
}

bool faulty_disk::fires_locked(rule_state& rs) {
  const fault_rule& r = rs.rule;
  const std::uint64_t seen = ++rs.seen;
  const std::uint64_t nth = static_cast<std::uint64_t>(std::max(r.nth, 1));
  bool fires = seen == nth;
  if (seen > nth) {
    fires =
        r.persistent || (r.every > 0 && (seen - nth) % static_cast<std::uint64_t>(r.every) == 0);
  }
  if (fires && r.probability < 1.0) {
    fires = std::uniform_real_distribution<double>(0.0, 1.0)(random_) < r.probability;
  }
  return fires;
}

std::chrono::microseconds faulty_disk::delay_locked(disk_op op, std::string_view path,
                                                    std::string_view path2) {
  std::chrono::microseconds total{0};
  for (auto& rs : rules_) {
    const fault_rule& r = rs.rule;
    if (r.kind != fault_kind::delay) continue;
    if (r.op != disk_op::any && r.op != op) continue;
    if (!r.path_contains.empty() && path.find(r.path_contains) == std::string_view::npos &&
        path2.find(r.path_contains) == std::string_view::npos) {
      continue;
    }
    if (fires_locked(rs)) total += r.delay;
  }
  return total;
}

void faulty_disk::sleep_for_call(disk_op op, std::string_view path, std::string_view path2) {
  std::chrono::microseconds total(latency_us_.load());
  {
    std::lock_guard lock(mutex_);
    total += delay_locked(op, path, path2);
  }
  if (total.count() > 0) std::this_thread::sleep_for(total);
}

void faulty_disk::sleep_for_file_call(disk_op op, std::uint64_t id, std::string_view fallback) {
  std::chrono::microseconds total(latency_us_.load());
  {
    std::lock_guard lock(mutex_);
    total += delay_locked(op, file_path_locked(id, fallback));
  }
  if (total.count() > 0) std::this_thread::sleep_for(total);
}

std::string faulty_disk::file_path_locked(std::uint64_t id, std::string_view fallback) const {
  const auto it = files_.find(id);
  return it == files_.end() ? std::string(fallback) : it->second.path;
}

void faulty_disk::snapshot_locked(std::uint64_t id) {
  const auto it = files_.find(id);
  if (it == files_.end() || it->second.durable) return;
  auto content = inner_->read_whole(it->second.path);
  // Unreadable durable content is treated as lost: the conservative choice.
  it->second.durable = content ? std::move(*content) : std::string();
}

void faulty_disk::on_file_synced_locked(std::uint64_t id) {
  const auto it = files_.find(id);
  if (it != files_.end()) it->second.durable.reset();
}

void faulty_disk::on_file_closed(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto it = files_.find(id);
  if (it == files_.end()) return;
  if (--it->second.open_handles == 0 && !it->second.durable) files_.erase(it);
}

void faulty_disk::move_tracked_locked(std::string_view from, std::string_view to) {
  for (auto& [_, f] : files_) rebase(f.path, from, to);
}

void faulty_disk::rebase_journal_locked(std::string_view from, std::string_view to,
                                        std::size_t end) {
  for (std::size_t i = 0; i < end && i < journal_.size(); ++i) {
    entry_change& c = journal_[i];
    rebase(c.path, from, to);
    rebase(c.to, from, to);
    for (auto& dir : c.unsynced_dirs) rebase(dir, from, to);
  }
}

result<std::string> faulty_disk::park_locked(std::string_view path) {
  if (auto r = inner_->make_dirs(kGraveyard); !r) return r.error();
  std::string parked = std::string(kGraveyard) + "/" + std::to_string(next_parked_++);
  if (auto r = inner_->rename(path, parked); !r) return r.error();
  move_tracked_locked(path, parked);
  rebase_journal_locked(path, parked, journal_.size());
  return parked;
}

void faulty_disk::purge_locked(const std::string& parked) {
  (void)inner_->remove_all(parked);
  std::erase_if(files_, [&](const auto& kv) { return is_under(kv.second.path, parked); });
  std::erase_if(journal_, [&](const entry_change& c) { return is_under(c.path, parked); });
}

void faulty_disk::record_locked(entry_change change) {
  auto& dirs = change.unsynced_dirs;
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  journal_.push_back(std::move(change));
}

// --- disk --------------------------------------------------------------------

const std::filesystem::path& faulty_disk::root() const noexcept {
  return inner_->root();
}

result<std::unique_ptr<file>> faulty_disk::open_read(std::string_view path) {
  sleep_for_call(disk_op::open_read, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::open_read, path); v.error) return *v.error;
  auto f = inner_->open_read(path);
  if (!f) return f.error();
  return std::unique_ptr<file>(std::make_unique<faulty_file>(shared_from_this(), std::move(*f), 0,
                                                             generation_, std::string(path)));
}

result<std::unique_ptr<file>> faulty_disk::create(std::string_view path) {
  sleep_for_call(disk_op::create, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::create, path); v.error) return *v.error;
  if (auto r = check_disk_path(path, false); !r) return r.error();
  std::uint64_t id = 0;
  for (const auto& [fid, f] : files_) {
    if (f.path == path) id = fid;
  }
  auto existed = inner_->exists(path);
  if (!existed) return existed.error();
  std::optional<std::string> durable;
  if (*existed && id != 0) {
    snapshot_locked(id);  // the truncation below is an unsynced data change
  } else if (*existed) {
    // Existed before we tracked it: its current content is durable.
    if (auto content = inner_->read_whole(path)) durable = std::move(*content);
  } else {
    durable = std::string();
  }
  auto f = inner_->create(path);
  if (!f) return f.error();
  if (id == 0 && durable) {
    id = next_file_id_++;
    files_.emplace(id, tracked_file{std::string(path), std::move(durable), 0});
  }
  if (id != 0) ++files_.at(id).open_handles;
  if (!*existed) {
    record_locked({entry_change::kind::created_file,
                   std::string(path),
                   {},
                   {},
                   {std::string(parent_path(path))}});
  }
  return std::unique_ptr<file>(std::make_unique<faulty_file>(shared_from_this(), std::move(*f), id,
                                                             generation_, std::string(path)));
}

result<void> faulty_disk::rename(std::string_view from, std::string_view to) {
  sleep_for_call(disk_op::rename, from, to);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::rename, from, to); v.error) return *v.error;
  if (auto r = check_disk_path(from, false); !r) return r;
  if (auto r = check_disk_path(to, false); !r) return r;
  if (from == to) return inner_->rename(from, to);
  // Replacing `to` parks it first, so rename(2)'s own checks are made here.
  auto from_exists = inner_->exists(from);
  if (!from_exists) return from_exists.error();
  if (!*from_exists) return errno_code(ENOENT);
  if (is_under(to, from)) return errno_code(EINVAL);
  auto parent_exists = inner_->exists(parent_path(to));
  if (!parent_exists) return parent_exists.error();
  if (!*parent_exists) return errno_code(ENOENT);
  auto to_exists = inner_->exists(to);
  if (!to_exists) return to_exists.error();
  std::string parked;
  if (*to_exists) {
    const bool from_is_dir = inner_->list(from).has_value();
    auto to_listing = inner_->list(to);
    if (to_listing && !from_is_dir) return errno_code(EISDIR);
    if (to_listing && !to_listing->empty()) return errno_code(ENOTEMPTY);
    if (!to_listing && from_is_dir) return errno_code(ENOTDIR);
    auto p = park_locked(to);
    if (!p) return p.error();
    parked = std::move(*p);
  }
  if (auto r = inner_->rename(from, to); !r) {
    if (!parked.empty() && inner_->rename(parked, to)) {
      move_tracked_locked(parked, to);
      rebase_journal_locked(parked, to, journal_.size());
    }
    return r;
  }
  move_tracked_locked(from, to);
  rebase_journal_locked(from, to, journal_.size());
  record_locked({entry_change::kind::renamed,
                 std::string(from),
                 std::string(to),
                 parked,
                 {std::string(parent_path(from)), std::string(parent_path(to))}});
  return {};
}

result<void> faulty_disk::make_dirs(std::string_view path) {
  sleep_for_call(disk_op::make_dirs, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::make_dirs, path); v.error) return *v.error;
  if (auto r = check_disk_path(path, true); !r) return r;
  std::vector<std::string> missing;
  for (std::size_t end = 0; end < path.size();) {
    end = path.find('/', end + 1);
    if (end == std::string_view::npos) end = path.size();
    std::string prefix(path.substr(0, end));
    auto e = inner_->exists(prefix);
    if (!e) return e.error();
    if (!*e) missing.push_back(std::move(prefix));
  }
  auto made = inner_->make_dirs(path);
  // Even a failed mkdir -p may have made some directories: record those.
  for (auto& dir : missing) {
    if (auto e = inner_->exists(dir); !e || !*e) continue;
    std::string parent(parent_path(dir));
    record_locked({entry_change::kind::made_dir, std::move(dir), {}, {}, {std::move(parent)}});
  }
  return made;
}

result<void> faulty_disk::sync_dir(std::string_view path) {
  sleep_for_call(disk_op::sync_dir, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::sync_dir, path); v.error) return *v.error;
  if (auto r = inner_->sync_dir(path); !r) return r;
  std::vector<std::string> to_purge;
  std::erase_if(journal_, [&](entry_change& c) {
    std::erase(c.unsynced_dirs, path);
    if (!c.unsynced_dirs.empty()) return false;
    if (!c.parked.empty()) to_purge.push_back(c.parked);
    return true;
  });
  for (const auto& parked : to_purge) purge_locked(parked);
  return {};
}

result<void> faulty_disk::remove(std::string_view path) {
  sleep_for_call(disk_op::remove, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::remove, path); v.error) return *v.error;
  if (auto r = check_disk_path(path, false); !r) return r;
  // Parking would move a non-empty directory too; keep rmdir's rule.
  auto listing = inner_->list(path);
  if (listing && !listing->empty()) return errno_code(ENOTEMPTY);
  if (!listing && listing.error() != std::errc::not_a_directory) return listing.error();
  auto parked = park_locked(path);
  if (!parked) return parked.error();
  record_locked({entry_change::kind::removed,
                 std::string(path),
                 {},
                 std::move(*parked),
                 {std::string(parent_path(path))}});
  return {};
}

result<void> faulty_disk::remove_all(std::string_view path) {
  sleep_for_call(disk_op::remove_all, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::remove_all, path); v.error) return *v.error;
  if (auto r = check_disk_path(path, false); !r) return r;
  auto e = inner_->exists(path);
  if (!e) return e.error();
  if (!*e) return {};
  auto parked = park_locked(path);
  if (!parked) return parked.error();
  record_locked({entry_change::kind::removed,
                 std::string(path),
                 {},
                 std::move(*parked),
                 {std::string(parent_path(path))}});
  return {};
}

result<std::vector<dir_entry>> faulty_disk::list(std::string_view path) {
  sleep_for_call(disk_op::list, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::list, path); v.error) return *v.error;
  auto entries = inner_->list(path);
  if (entries && path.empty()) {
    std::erase_if(*entries, [](const dir_entry& d) { return d.name == kGraveyard; });
  }
  return entries;
}

result<bool> faulty_disk::exists(std::string_view path) {
  sleep_for_call(disk_op::exists, path);
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::exists, path); v.error) {
    return result<bool>(boost::system::in_place_error, *v.error);
  }
  return inner_->exists(path);
}

result<disk_usage> faulty_disk::usage() {
  sleep_for_call(disk_op::usage, {});
  std::lock_guard lock(mutex_);
  if (auto v = check_locked(disk_op::usage, {}); v.error) return *v.error;
  return inner_->usage();
}

}  // namespace kvgate::erasure
