// Keeps object versions alive while readers use them.
//
// A reader pins (bucket, key, data id) for its lifetime. Removing a version's
// data directory (after an overwrite or delete) is deferred while it is pinned
// and performed by the last unpin, so a read that started before an overwrite
// finishes with the bytes it started with. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kvgate::erasure {

class version_pins {
 public:
  void pin(const std::string& version) {
    std::lock_guard lock(mu_);
    ++pins_[version].count;
  }

  // Returns the deferred cleanups to run now (outside any lock).
  std::vector<std::function<void()>> unpin(const std::string& version) {
    std::lock_guard lock(mu_);
    auto it = pins_.find(version);
    if (it == pins_.end()) return {};
    if (--it->second.count > 0) return {};
    std::vector<std::function<void()>> out = std::move(it->second.deferred);
    pins_.erase(it);
    return out;
  }

  // Runs cleanup now if the version is not pinned, else defers it to the last unpin.
  void when_unpinned(const std::string& version, std::function<void()> cleanup) {
    {
      std::lock_guard lock(mu_);
      auto it = pins_.find(version);
      if (it != pins_.end()) {
        it->second.deferred.push_back(std::move(cleanup));
        return;
      }
    }
    cleanup();
  }

  bool pinned(const std::string& version) {
    std::lock_guard lock(mu_);
    return pins_.count(version) != 0;
  }

 private:
  struct state {
    int count = 0;
    std::vector<std::function<void()>> deferred;
  };
  std::mutex mu_;
  std::map<std::string, state> pins_;
};

}  // namespace kvgate::erasure
