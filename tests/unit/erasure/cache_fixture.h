// A store with cache-tier limits for the capacity/eviction tests: scratch
// disks, an injected clock that advances on every reading (so recency order is
// exact), and helpers that put, read and summarize usage.
#pragma once

#include <kvgate/erasure/capacity.h>
#include <kvgate/erasure/store.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "result_string_maker.h"
#include "store_fixture.h"
#include "temp_dir.h"

namespace kvgate::test {

class cache_fixture {
 public:
  explicit cache_fixture(er::capacity_config capacity, int disks = 6,
                         std::size_t inline_limit = 128 * 1024)
      : capacity_(std::move(capacity)), inline_limit_(inline_limit) {
    for (int i = 0; i < disks; ++i) paths_.push_back(dir_.path() / ("disk" + std::to_string(i)));
    reopen();
  }

  // A clean restart on the same disks with the same (or a new) capacity config.
  void reopen(std::optional<er::capacity_config> capacity = std::nullopt) {
    store_.reset();
    if (capacity) capacity_ = std::move(*capacity);
    er::store_options o;
    o.disk_paths = paths_;
    o.inline_limit = inline_limit_;
    o.background_heal = false;
    o.capacity = capacity_;
    o.clock_ns = [this] { return clock_->fetch_add(1000); };
    auto s = er::store::open(std::move(o));
    if (!s) FAIL("store::open: " << s.error().message());
    store_ = std::move(*s);
  }

  void close() { store_.reset(); }
  er::store& store() { return *store_; }
  const std::vector<std::filesystem::path>& paths() const { return paths_; }

  er::result<er::object_info> put(const std::string& bucket, const std::string& key,
                                  const std::string& data, bool declare_size = true) {
    er::put_options po;
    if (declare_size) po.size = data.size();
    auto w = store_->begin_put(bucket, key, po);
    if (!w) return w.error();
    for (std::size_t i = 0; i < data.size(); i += 65536) {
      const std::size_t n = std::min<std::size_t>(65536, data.size() - i);
      if (auto r = (*w)->write(std::as_bytes(std::span(data.data() + i, n))); !r) return r.error();
    }
    return (*w)->commit("\"e\"", {}, {});
  }

  er::result<std::string> get(const std::string& bucket, const std::string& key) {
    auto r = store_->open_read(bucket, key, std::nullopt);
    if (!r) return r.error();
    return read_all(**r);
  }

  static er::result<std::string> read_all(er::object_reader& r) {
    std::string out(r.length(), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      auto n = r.read(std::as_writable_bytes(std::span(out.data() + done, out.size() - done)));
      if (!n) return n.error();
      if (*n == 0) break;
      done += *n;
    }
    if (done != out.size()) return er::make_error_code(er::errc::short_body);
    return out;
  }

  // Usage summed by listing the index (the ground truth the ledger mirrors).
  er::usage_totals listed_usage(const std::string& bucket) {
    er::usage_totals u;
    er::list_params p;
    for (;;) {
      auto l = store_->list(bucket, p);
      if (!l) FAIL("list: " << l.error().message());
      for (const auto& e : l->objects) {
        ++u.objects;
        u.logical_bytes += e.size;
      }
      if (!l->truncated) break;
      p.start_after = l->next_start_after;
    }
    return u;
  }

  er::bucket_capacity bucket_report(const std::string& bucket) {
    for (auto& b : store_->capacity_usage().buckets)
      if (b.bucket == bucket) return b;
    return er::bucket_capacity{bucket, {}, {}, 0};
  }

 private:
  temp_dir dir_;
  std::vector<std::filesystem::path> paths_;
  er::capacity_config capacity_;
  std::size_t inline_limit_;
  // Shared with the store's clock callback; outlives every store it serves.
  std::shared_ptr<std::atomic<std::int64_t>> clock_ =
      std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000'000'000);
  std::unique_ptr<er::store> store_;
};

}  // namespace kvgate::test
