#include "disk_set.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <latch>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "kvgate/erasure/codec.h"
#include "layout.h"

namespace kvgate::erasure {

namespace {

constexpr std::string_view kFormatName = "kvgate-disk";
constexpr int kFormatVersion = 1;

struct disk_format {
  std::string deployment_id;
  std::string disk_id;
  std::vector<std::string> set;
  set_geometry geometry;
};

std::string encode_format(const disk_format& f) {
  nlohmann::json j;
  j["format"] = kFormatName;
  j["version"] = kFormatVersion;
  j["deployment_id"] = f.deployment_id;
  j["disk_id"] = f.disk_id;
  j["set"] = f.set;
  j["k"] = f.geometry.k;
  j["m"] = f.geometry.m;
  j["block_size"] = f.geometry.block_size;
  j["matrix"] = "isal-cauchy1";
  return j.dump(2) + "\n";
}

result<disk_format> decode_format(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormatName ||
      j.value("version", 0) != kFormatVersion)
    return make_error_code(errc::corrupt);
  disk_format f;
  try {
    f.deployment_id = j.at("deployment_id").get<std::string>();
    f.disk_id = j.at("disk_id").get<std::string>();
    f.set = j.at("set").get<std::vector<std::string>>();
    f.geometry.k = j.at("k").get<std::uint32_t>();
    f.geometry.m = j.at("m").get<std::uint32_t>();
    f.geometry.block_size = j.at("block_size").get<std::uint32_t>();
  } catch (const nlohmann::json::exception&) {
    return make_error_code(errc::corrupt);
  }
  if (f.set.size() != f.geometry.k + f.geometry.m || f.geometry.k == 0 ||
      f.geometry.m > f.geometry.k)
    return make_error_code(errc::corrupt);
  return f;
}

result<void> write_format(disk& d, const disk_format& f) {
  if (auto r = d.make_dirs(layout::kSystemDir); !r) return r;
  const std::string text = encode_format(f);
  return d.write_atomic(layout::kFormatFile, ".kvgate/format.json.tmp",
                        std::as_bytes(std::span(text.data(), text.size())));
}

// Formats of one erasure set: the same disks in the same order, same geometry.
bool same_set(const disk_format& a, const disk_format& b) {
  return a.set == b.set && a.geometry.k == b.geometry.k && a.geometry.m == b.geometry.m &&
         a.geometry.block_size == b.geometry.block_size;
}

// The working directories of a disk in use, created and made durable; the
// problem (empty when none) that keeps the disk offline otherwise.
std::string prepare_dirs(disk& d) {
  for (std::string_view dir :
       {layout::kTmpDir, layout::kTrashDir, layout::kUploadsDir, layout::kBucketsDir})
    if (auto r = d.make_dirs(dir); !r)
      return fmt::format("cannot create {}: {}", dir, r.error().message());
  // A new directory survives power loss once its parent is synced: without
  // this, a crash soon after the first start could take .kvgate (and the
  // index inside it) or buckets/ with it, and with them acknowledged buckets.
  for (std::string_view parent : {layout::kSystemDir, std::string_view()})
    if (auto r = d.sync_dir(parent); !r)
      return fmt::format("cannot sync {}: {}", parent.empty() ? "/" : parent, r.error().message());
  return {};
}

bool valid_block_size(std::uint32_t s) {
  return s >= 64 * 1024 && s <= 1024 * 1024 && (s & (s - 1)) == 0;
}

}  // namespace

bool is_disk_fault(const std::error_code& ec) noexcept {
  if (ec.category() == std::generic_category())
    return ec.value() == EIO || ec.value() == EROFS || ec.value() == ENODEV ||
           ec.value() == ENXIO || ec.value() == EBADF;
  return ec == errc::disk_offline;
}

result<std::unique_ptr<disk_set>> disk_set::open(std::vector<std::shared_ptr<disk>> disks,
                                                 int requested_parity, std::uint32_t block_size,
                                                 std::size_t io_threads) {
  const int n = static_cast<int>(disks.size());
  if (n < 1 || n > 64) return make_error_code(errc::invalid_argument);
  const int parity = requested_parity < 0 ? default_parity(n) : requested_parity;
  if (parity > n - parity || !valid_block_size(block_size))
    return make_error_code(errc::invalid_argument);

  std::unique_ptr<disk_set> set(new disk_set());
  std::vector<std::optional<disk_format>> formats(disks.size());
  std::map<std::string, int> votes;  // deployment id -> disks carrying it
  for (std::size_t i = 0; i < disks.size(); ++i) {
    auto s = std::make_unique<slot>();
    s->d = disks[i];
    auto text = disks[i]->read_whole(layout::kFormatFile);
    if (text) {
      auto f = decode_format(*text);
      if (f) {
        formats[i] = std::move(*f);
        ++votes[formats[i]->deployment_id];
      } else {
        s->online = false;
        s->problem = "format.json is corrupt";
      }
    } else if (text.error() != std::errc::no_such_file_or_directory) {
      s->online = false;
      s->problem = fmt::format("cannot read format.json: {}", text.error().message());
    }
    set->slots_.push_back(std::move(s));
  }

  if (votes.empty()) {
    // A blank set: format every reachable disk.
    disk_format f;
    f.deployment_id = layout::random_id();
    for (int i = 0; i < n; ++i) f.set.push_back(layout::random_id());
    f.geometry = {static_cast<std::uint32_t>(n - parity), static_cast<std::uint32_t>(parity),
                  block_size};
    for (int i = 0; i < n; ++i) {
      slot& s = *set->slots_[i];
      f.disk_id = f.set[i];
      s.disk_id = f.disk_id;
      if (!s.online) continue;
      if (auto r = write_format(*s.d, f); !r) {
        s.online = false;
        s.problem = fmt::format("cannot format: {}", r.error().message());
      }
    }
    set->geometry_ = f.geometry;
    set->deployment_id_ = f.deployment_id;
  } else {
    if (votes.size() > 1) {
      // A strict majority names the deployment; the others are strangers.
      const auto top = std::max_element(votes.begin(), votes.end(),
                                        [](auto& a, auto& b) { return a.second < b.second; });
      if (top->second * 2 <= n) return make_error_code(errc::format_mismatch);
      for (std::size_t i = 0; i < disks.size(); ++i)
        if (formats[i] && formats[i]->deployment_id != top->first)
          spdlog::error("disk {} belongs to deployment {}, not {}: refusing to start",
                        disks[i]->root().string(), formats[i]->deployment_id, top->first);
      return make_error_code(errc::foreign_disk);
    }
    // The reference: any well-formed format of the deployment (all agree on set and geometry).
    const disk_format* ref = nullptr;
    for (auto& f : formats)
      if (f) {
        if (ref != nullptr && !same_set(*f, *ref)) return make_error_code(errc::format_mismatch);
        ref = &*f;
      }
    if (ref->set.size() != disks.size()) return make_error_code(errc::format_mismatch);
    if (requested_parity >= 0 && static_cast<std::uint32_t>(requested_parity) != ref->geometry.m)
      return make_error_code(errc::format_mismatch);
    for (std::size_t i = 0; i < disks.size(); ++i) {
      slot& s = *set->slots_[i];
      s.disk_id = ref->set[i];
      if (formats[i]) {
        if (formats[i]->disk_id != ref->set[i]) return make_error_code(errc::foreign_disk);
        continue;
      }
      if (!s.online) continue;
      // An empty disk in a known slot: a replacement. Adopt it and heal it fully.
      disk_format f = *ref;
      f.disk_id = ref->set[i];
      if (auto r = write_format(*s.d, f); !r) {
        s.online = false;
        s.problem = fmt::format("cannot format replacement: {}", r.error().message());
        continue;
      }
      s.needs_full_heal = true;
      spdlog::warn("disk {} ({}) is new in slot {}: it will be rebuilt", s.d->root().string(),
                   s.disk_id, i);
    }
    set->geometry_ = ref->geometry;
    set->deployment_id_ = ref->deployment_id;
  }
  for (auto& s : set->slots_) {
    if (!s->online) continue;
    if (std::string problem = prepare_dirs(*s->d); !problem.empty()) {
      s->online = false;
      s->problem = std::move(problem);
    }
  }
  set->pool_ =
      std::make_unique<boost::asio::thread_pool>(io_threads == 0 ? disks.size() : io_threads);
  return set;
}

disk_set::~disk_set() {
  if (pool_) pool_->join();
}

std::size_t disk_set::online_count() const noexcept {
  std::size_t n = 0;
  for (const auto& s : slots_) n += s->online ? 1 : 0;
  return n;
}

std::size_t disk_set::write_quorum() const noexcept {
  return std::min<std::size_t>(geometry_.k + 1, geometry_.k + geometry_.m);
}

void disk_set::take_offline(std::size_t i, std::string why) {
  slot& s = *slots_[i];
  if (s.online.exchange(false)) {
    spdlog::error("disk {} taken offline: {}", s.d->root().string(), why);
    s.problem = std::move(why);
  }
}

disk_set::probe_result disk_set::try_return(std::size_t i) {
  slot& s = *slots_[i];
  if (s.online) return {disk_return::returned, {}};  // nothing to probe
  disk& d = *s.d;
  auto offline = [](std::string why) { return probe_result{disk_return::still_offline, why}; };
  // Writable and durable again (a read-only remount or a dead device fails here).
  for (std::string_view dir : {layout::kSystemDir, layout::kTmpDir})
    if (auto r = d.make_dirs(dir); !r) return offline("mkdir: " + r.error().message());
  constexpr std::string_view kProbe = ".kvgate/tmp/probe";
  const std::string stamp = layout::random_id();
  if (auto r = d.write_atomic(kProbe, ".kvgate/tmp/probe.tmp",
                              std::as_bytes(std::span(stamp.data(), stamp.size())));
      !r)
    return offline("probe write: " + r.error().message());
  auto back = d.read_whole(kProbe);
  static_cast<void>(d.remove(kProbe));
  if (!back || *back != stamp) return offline("the probe file did not read back");

  disk_format ref;
  ref.deployment_id = deployment_id_;
  for (const auto& other : slots_) ref.set.push_back(other->disk_id);
  ref.geometry = geometry_;
  ref.disk_id = s.disk_id;
  bool replaced = false;
  auto text = d.read_whole(layout::kFormatFile);
  if (text) {
    auto f = decode_format(*text);
    if (!f) return offline("format.json is corrupt");
    if (f->deployment_id != ref.deployment_id || f->disk_id != ref.disk_id || !same_set(*f, ref))
      return offline("format.json names another disk or deployment (foreign_disk)");
  } else if (text.error() == std::errc::no_such_file_or_directory) {
    if (auto r = write_format(d, ref); !r) return offline("format: " + r.error().message());
    replaced = true;
  } else {
    return offline("reading format.json: " + text.error().message());
  }
  if (std::string problem = prepare_dirs(d); !problem.empty()) return offline(problem);
  if (replaced) s.needs_full_heal = true;
  s.online = true;
  spdlog::warn("disk {} ({}) is back online in slot {}{}", d.root().string(), s.disk_id, i,
               replaced ? " as a replacement: it will be rebuilt" : "");
  return {replaced ? disk_return::replaced : disk_return::returned, {}};
}

std::vector<result<void>> disk_set::run_each(const std::function<result<void>(std::size_t)>& fn) {
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (online(i)) which.push_back(i);
  return run_on(which, fn);
}

std::vector<result<void>> disk_set::run_on(const std::vector<std::size_t>& which,
                                           const std::function<result<void>(std::size_t)>& fn) {
  std::vector<result<void>> out(slots_.size(), result<void>(make_error_code(errc::disk_offline)));
  if (which.size() == 1) {
    out[which[0]] = fn(which[0]);
    return out;
  }
  std::latch done(static_cast<std::ptrdiff_t>(which.size()));
  for (std::size_t i : which) {
    boost::asio::post(*pool_, [&, i] {
      out[i] = fn(i);
      done.count_down();
    });
  }
  done.wait();
  return out;
}

}  // namespace kvgate::erasure
