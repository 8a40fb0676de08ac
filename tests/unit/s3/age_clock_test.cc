// age_clock (kvgate/s3/age_clock.h): the lifecycle worker's clock follows the
// wall clock, catches up with a forward jump at most at its rate, and follows
// a backward jump at once.
#include "kvgate/s3/age_clock.h"

#include <catch2/catch.hpp>
#include <cstdint>

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kDay = 86'400 * kSecond;
constexpr std::int64_t kStart = 1'790'000'000 * kSecond;

TEST_CASE("age_clock follows a wall clock that runs at the real pace", "[lifecycle][clock]") {
  kvgate::s3::age_clock c;
  CHECK(c.read(kStart, 0) == kStart);
  CHECK(c.read(kStart + 60 * kSecond, 60 * kSecond) == kStart + 60 * kSecond);
  CHECK(c.read(kStart + 61 * kSecond, 60 * kSecond + kSecond / 2) == kStart + 61 * kSecond);
  CHECK(c.lag_ns() == 0);
}

TEST_CASE("age_clock catches up with a forward jump at twice the real pace", "[lifecycle][clock]") {
  kvgate::s3::age_clock c;
  (void)c.read(kStart, 0);
  // The wall clock jumps 8 days ahead; one minute of real time passes.
  CHECK(c.read(kStart + 8 * kDay + 60 * kSecond, 60 * kSecond) == kStart + 120 * kSecond);
  CHECK(c.lag_ns() == 8 * kDay - 60 * kSecond);
  // Running at twice the pace, it gains a day on the wall clock per real day:
  // 4 days later it is half way, 8 days later back in step.
  std::int64_t later = 60 * kSecond + 4 * kDay;
  CHECK(c.read(kStart + 8 * kDay + later, later) == kStart + 120 * kSecond + 8 * kDay);
  CHECK(c.lag_ns() == 4 * kDay - 60 * kSecond);
  later = 60 * kSecond + 8 * kDay;
  CHECK(c.read(kStart + 8 * kDay + later, later) == kStart + 8 * kDay + later);
  CHECK(c.lag_ns() == 0);
}

TEST_CASE("age_clock follows a backward jump at once", "[lifecycle][clock]") {
  kvgate::s3::age_clock c;
  (void)c.read(kStart, 0);
  CHECK(c.read(kStart - 2 * 3600 * kSecond, kSecond) == kStart - 2 * 3600 * kSecond);
  CHECK(c.lag_ns() == 0);
  // A monotonic clock that seems to go back allows no advance.
  CHECK(c.read(kStart + kDay, 0) == kStart - 2 * 3600 * kSecond);
}

}  // namespace
