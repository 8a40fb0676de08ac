// A store on N scratch directories for engine tests, with helpers to write and
// read whole objects and to damage disks behind the engine's back.
#pragma once

#include <kvgate/erasure/faulty_disk.h>
#include <kvgate/erasure/store.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "result_string_maker.h"
#include "temp_dir.h"

namespace kvgate::test {

namespace er = kvgate::erasure;

inline std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t v = rng();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) s[i + j] = static_cast<char>(v >> (8 * j));
  }
  return s;
}

// Geometry and limits of a fixture's store (defaults match store_options).
struct store_fixture_config {
  int disks = 6;
  bool faulty = false;
  int parity = -1;
  std::size_t block_size = 128 * 1024;
  std::size_t inline_limit = 128 * 1024;
  bool background_heal = false;
  std::chrono::milliseconds disk_probe_first{5000};
  std::chrono::milliseconds disk_probe_max{60000};
  std::function<std::int64_t()> clock_ns{};  // empty: the system clock
};

// Runs on the fresh faulty_disk wrappers before the store opens on them (to
// take a disk offline or install fault rules that open() must already see).
using prepare_disks_fn = std::function<void(std::vector<std::shared_ptr<er::faulty_disk>>&)>;

class store_fixture {
 public:
  explicit store_fixture(int disks = 6, bool faulty = false, int parity = -1)
      : store_fixture(store_fixture_config{disks, faulty, parity}) {}

  explicit store_fixture(store_fixture_config config) : config_(config) {
    for (int i = 0; i < config_.disks; ++i)
      paths_.push_back(dir_.path() / ("disk" + std::to_string(i + 1)));
    reopen();
  }

  // Closes and reopens the store on the same directories (a clean restart).
  // With faulty disks, every disk gets a fresh wrapper (a revived machine).
  void reopen(er::crash_hook hook = {}, const prepare_disks_fn& prepare = {}) {
    auto r = try_reopen(std::move(hook), prepare);
    if (!r) FAIL("store::open: " << r.error().message());
  }

  // As reopen(), but reports a failing store::open instead of failing the test.
  er::result<void> try_reopen(er::crash_hook hook = {}, const prepare_disks_fn& prepare = {}) {
    store_.reset();
    er::store_options o;
    o.parity = config_.parity;
    o.block_size = config_.block_size;
    o.inline_limit = config_.inline_limit;
    o.background_heal = config_.background_heal;
    o.disk_probe_first = config_.disk_probe_first;
    o.disk_probe_max = config_.disk_probe_max;
    o.on_crash_point = std::move(hook);
    o.clock_ns = config_.clock_ns;
    if (config_.faulty) {
      faulty_disks_.clear();
      for (const auto& p : paths_) {
        auto inner = er::open_posix_disk(p);
        REQUIRE(inner);
        faulty_disks_.push_back(er::make_faulty_disk(std::move(*inner)));
        o.disks.push_back(faulty_disks_.back());
      }
      if (prepare) prepare(faulty_disks_);
    } else {
      o.disk_paths = paths_;
    }
    auto s = er::store::open(std::move(o));
    if (!s) return s.error();
    store_ = std::move(*s);
    return {};
  }

  // Simulated power loss of the whole machine: every faulty disk drops what is
  // not durable and fails every later call. Safe to call from a crash hook.
  void crash_all() {
    for (auto& d : faulty_disks_) d->crash();
  }

  void close() { store_.reset(); }
  bool is_open() const { return store_ != nullptr; }

  er::store& store() { return *store_; }
  const std::vector<std::filesystem::path>& paths() const { return paths_; }
  std::vector<std::shared_ptr<er::faulty_disk>>& faulty_disks() { return faulty_disks_; }

  er::result<er::object_info> put(const std::string& bucket, const std::string& key,
                                  const std::string& data, er::commit_conditions c = {},
                                  std::size_t chunk = 100000) {
    er::put_options po;
    po.size = data.size();
    auto w = store_->begin_put(bucket, key, po);
    if (!w) return w.error();
    for (std::size_t i = 0; i < data.size(); i += chunk) {
      const std::size_t n = std::min(chunk, data.size() - i);
      if (auto r = (*w)->write(std::as_bytes(std::span(data.data() + i, n))); !r) return r.error();
    }
    return (*w)->commit("\"etag-" + std::to_string(data.size()) + "\"", {}, c);
  }

  er::result<std::string> get(const std::string& bucket, const std::string& key,
                              std::optional<er::byte_range> range = {}, bool* degraded = nullptr) {
    auto r = store_->open_read(bucket, key, range);
    if (!r) return r.error();
    std::string out((*r)->length(), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const std::size_t want = std::min<std::size_t>(out.size() - done, 300000);
      auto n = (*r)->read(std::as_writable_bytes(std::span(out.data() + done, want)));
      if (!n) return n.error();
      if (*n == 0) break;
      done += *n;
    }
    // No Catch assertion here: concurrency tests call get() from many threads
    // and Catch2 is not thread-safe. A short read is an error value instead.
    if (done != out.size()) return er::make_error_code(er::errc::short_body);
    if (degraded) *degraded = (*r)->degraded();
    return out;
  }

  // The object directory of a key on disk i (found by its manifest).
  std::filesystem::path find_object_dir(int disk, const std::string& bucket) const {
    for (auto& e : std::filesystem::recursive_directory_iterator(paths_[disk] / "buckets" / bucket))
      if (e.path().filename() == "meta") return e.path().parent_path();
    return {};
  }

 private:
  temp_dir dir_;
  store_fixture_config config_;
  std::vector<std::filesystem::path> paths_;
  std::vector<std::shared_ptr<er::faulty_disk>> faulty_disks_;
  std::unique_ptr<er::store> store_;
};

}  // namespace kvgate::test
