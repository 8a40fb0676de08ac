// A byte-rate limit shared by threads (`kvgate rebalance --rate`): take(n)
// returns once n bytes fit the rate. The bucket starts empty and holds at
// most a quarter second's worth, so over any run the bytes taken stay below
// rate x elapsed + that burst. An object larger than the burst is paid for
// as debt: the caller sleeps until the rate has covered it. Thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

namespace kvgate::cli {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;
  // bytes_per_second <= 0: unlimited.
  explicit token_bucket(double bytes_per_second)
      : rate_(bytes_per_second), burst_(bytes_per_second / 4), last_(clock::now()) {}

  void take(double bytes) {
    if (rate_ <= 0) return;
    std::chrono::duration<double> wait{0};
    {
      std::lock_guard lock(mutex_);
      const auto now = clock::now();
      tokens_ =
          std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
      last_ = now;
      tokens_ -= bytes;
      if (tokens_ < 0) wait = std::chrono::duration<double>(-tokens_ / rate_);
    }
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
  }

 private:
  std::mutex mutex_;
  const double rate_;
  const double burst_;
  double tokens_ = 0;
  clock::time_point last_;
};

}  // namespace kvgate::cli
