// The background worker that applies bucket lifecycle configurations
// (Expiration by Days/Date, AbortIncompleteMultipartUpload) and the per-bucket
// default TTL of the cache policy (docs/cache.md, "Expiry").
//
// Work is bounded: a pass examines at most `batch` objects and uploads, then
// the thread sleeps (`interval` once every bucket was visited, at most 1 s
// while a cycle is still under way) on a condition variable, so it never
// spins and a large bucket is walked over several passes. Each cycle reads the
// configurations afresh (a change applies from the next cycle).
//
// An object expires when a matching enabled rule says so: mtime + Days x day
// (no rounding to midnight), or the rule's Date has passed; or when its
// bucket's default TTL has elapsed since its last write. The object is removed
// only if a fresh HEAD still shows the same version (an overwrite in between
// keeps it). Uploads initiated more than DaysAfterInitiation days ago are
// aborted. `day_seconds` is 86400 except in tests. Ages are measured on an
// age_clock: a forward jump of the wall clock is caught up with at twice the
// real pace, not in one pass (age_clock.h); an injected clock_ns is used as is.
//
// Thread-safe; the destructor stops and joins the thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kvgate/erasure/store.h"
#include "kvgate/s3/age_clock.h"

namespace kvgate::s3 {

// The store setting holding a bucket's lifecycle configuration (rendered XML).
std::string lifecycle_setting(std::string_view bucket);

struct lifecycle_options {
  std::chrono::seconds interval{60};
  std::uint32_t batch = 1000;
  std::uint64_t day_seconds = 86400;
  // Uploads older than this are aborted in every bucket, with or without an
  // AbortIncompleteMultipartUpload rule; 0: only by rules.
  std::uint64_t abandoned_upload_seconds = 0;
  bool background = true;                  // false: no thread, run_pass() only (tests)
  std::function<std::int64_t()> clock_ns;  // empty: system_clock through an age_clock
};

struct lifecycle_stats {
  std::uint64_t passes = 0;
  std::uint64_t cycles = 0;  // complete walks over every bucket with rules
  std::uint64_t expired_objects = 0;
  std::uint64_t expired_bytes = 0;
  std::uint64_t aborted_uploads = 0;
  std::uint64_t errors = 0;  // storage calls that failed (retried next cycle)
};

class lifecycle_worker {
 public:
  lifecycle_worker(std::shared_ptr<erasure::store> store, lifecycle_options options);
  ~lifecycle_worker();
  lifecycle_worker(const lifecycle_worker&) = delete;
  lifecycle_worker& operator=(const lifecycle_worker&) = delete;

  // One bounded pass in the caller's thread. True when the cycle finished.
  bool run_pass();
  lifecycle_stats stats() const;

 private:
  struct walk;  // where the current walk over the buckets stands (lifecycle_worker.cc)

  void run();
  // The time ages are measured against; called under pass_mutex_.
  std::int64_t now_ns();

  std::shared_ptr<erasure::store> store_;
  lifecycle_options options_;
  std::mutex pass_mutex_;  // one pass at a time; guards walk_
  std::unique_ptr<walk> walk_;
  age_clock ages_;             // guarded by pass_mutex_
  bool reported_lag_ = false;  // a forward jump being caught up with was logged
  std::atomic<std::uint64_t> passes_{0}, cycles_{0}, expired_objects_{0}, expired_bytes_{0},
      aborted_uploads_{0}, errors_{0};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kvgate::s3
