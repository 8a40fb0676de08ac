// The clock the lifecycle worker measures ages on (TTL, Expiration Days,
// abandoned uploads): the wall clock, except that a forward jump of it cannot
// age every object at once.
//
// Readings follow the wall clock, but between two readings they advance by at
// most `max_rate` times the monotonic time that elapsed (a wall clock set
// forward by 8 days is caught up with over 8 days at rate 2, instead of
// expiring a week of objects in one pass). A backward jump is followed at
// once: ages then grow late, which keeps data longer, never shorter. The
// first reading is the wall clock: a process started after a jump does not
// know of it (docs/reliability.md, "Clock jumps and slow disks").
//
// Not thread-safe: one reader (the lifecycle worker holds its pass mutex).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace kvgate::s3 {

class age_clock {
 public:
  explicit age_clock(double max_rate = 2.0) : max_rate_(max_rate) {}

  // The reading for wall time `wall_ns` at monotonic time `steady_ns`.
  std::int64_t read(std::int64_t wall_ns, std::int64_t steady_ns) {
    std::int64_t reading = wall_ns;
    if (last_) {
      const std::int64_t elapsed = std::max<std::int64_t>(0, steady_ns - last_steady_);
      const auto allowed = static_cast<std::int64_t>(static_cast<double>(elapsed) * max_rate_);
      reading = std::min(wall_ns, *last_ + allowed);
    }
    last_ = reading;
    last_steady_ = steady_ns;
    lag_ns_ = wall_ns - reading;
    return reading;
  }
  // How far the last reading was behind the wall clock (0: in step).
  std::int64_t lag_ns() const noexcept { return lag_ns_; }

 private:
  double max_rate_;
  std::optional<std::int64_t> last_;  // last reading
  std::int64_t last_steady_ = 0;
  std::int64_t lag_ns_ = 0;
};

}  // namespace kvgate::s3
