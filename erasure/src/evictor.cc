#include "evictor.h"

namespace kvgate::erasure {

evictor::evictor(pass_fn pass, std::chrono::milliseconds retry_delay)
    : pass_(std::move(pass)), retry_delay_(retry_delay) {}

void evictor::start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void evictor::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void evictor::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void evictor::run(const std::stop_token& stop) {
  bool done = true;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mu_);
      if (done)
        cv_.wait(lock, stop, [&] { return woken_; });
      else
        cv_.wait_for(lock, stop, retry_delay_, [&] { return woken_; });
      woken_ = false;
    }
    if (stop.stop_requested()) return;
    done = pass_(stop);
  }
}

}  // namespace kvgate::erasure
