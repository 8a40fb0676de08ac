// The background eviction worker of the cache tier (docs/cache.md).
//
// One thread that runs an eviction pass when woken (a write pushed a scope over
// its high watermark, the limits changed) and otherwise sleeps: no timer while
// every scope is under its watermark. A pass that could not finish (objects
// over the watermark are being read) is retried after `retry_delay`.
//
// Lifetime: the thread runs from start() to stop() (or destruction); the pass
// callback must stay valid until then. stop() requests stop (the pass sees it
// through its stop_token) and joins. Thread safety: wake() may be called from
// any thread; start() and stop() by the owner only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace kvgate::erasure {

class evictor {
 public:
  // pass: returns true when done (sleep until woken), false to retry later.
  using pass_fn = std::function<bool(const std::stop_token&)>;

  evictor(pass_fn pass, std::chrono::milliseconds retry_delay);
  ~evictor() { stop(); }
  evictor(const evictor&) = delete;
  evictor& operator=(const evictor&) = delete;

  void start();
  void stop();
  void wake();

 private:
  void run(const std::stop_token& stop);

  pass_fn pass_;
  std::chrono::milliseconds retry_delay_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool woken_ = true;  // the first pass runs at start (limits may be below usage)
  std::jthread thread_;
};

}  // namespace kvgate::erasure
