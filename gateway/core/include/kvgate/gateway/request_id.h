// Request ids for the x-amz-request-id header.
//
// Each id is 16 upper-case hex digits: a per-process random 64-bit base plus a
// counter, so ids are unique within a process (for 2^64 requests) and unlikely
// to collide across restarts. Thread-safe: next() is a relaxed atomic increment.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace kvgate::gateway {

class request_id_generator {
 public:
  // Seeds the base from the OS random source.
  request_id_generator();
  // Deterministic base, for tests.
  explicit request_id_generator(std::uint64_t base) noexcept : base_(base) {}

  std::string next();

  // Formats a 64-bit value as 16 upper-case hex digits.
  static std::string format(std::uint64_t value);

 private:
  std::uint64_t base_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace kvgate::gateway
