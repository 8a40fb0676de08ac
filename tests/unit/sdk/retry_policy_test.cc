// Retry classification and jittered exponential back-off (retry_policy.h).
#include "kvgate/sdk/retry_policy.h"

#include <catch2/catch.hpp>

#include "kvgate/sdk/error.h"

using namespace kvgate::sdk;
using namespace std::chrono_literals;

TEST_CASE("connection errors, timeouts and 500/502/503/504 are retried when idempotent",
          "[sdk][retry]") {
  for (unsigned status : {500u, 502u, 503u, 504u}) {
    CHECK(is_retryable({{}, status}, true));
    CHECK_FALSE(is_retryable({{}, status}, false));
  }
  for (unsigned status : {200u, 204u, 206u, 400u, 403u, 404u, 412u, 416u, 501u})
    CHECK_FALSE(is_retryable({{}, status}, true));
  CHECK(is_retryable({make_error_code(sdk_errc::connection_failed), 0}, true));
  CHECK(is_retryable({make_error_code(sdk_errc::timeout), 0}, true));
  CHECK_FALSE(is_retryable({make_error_code(sdk_errc::tls_failed), 0}, true));
  CHECK_FALSE(is_retryable({make_error_code(sdk_errc::protocol_error), 0}, true));
  CHECK_FALSE(is_retryable({make_error_code(sdk_errc::connection_failed), 0}, false));
}

TEST_CASE("attempts stop at max_attempts", "[sdk][retry]") {
  retry_options o;
  o.max_attempts = 3;
  const attempt_outcome busy{{}, 503};
  CHECK(should_retry(o, 1, busy, true));
  CHECK(should_retry(o, 2, busy, true));
  CHECK_FALSE(should_retry(o, 3, busy, true));
  o.max_attempts = 1;
  CHECK_FALSE(should_retry(o, 1, busy, true));
}

TEST_CASE("back-off is full jitter under a doubling ceiling with a cap", "[sdk][retry]") {
  retry_options o;
  o.base_delay = 50ms;
  o.max_delay = 1000ms;
  CHECK(backoff_delay(o, 0, 0.0) == 0ms);
  CHECK(backoff_delay(o, 0, 0.5) == 25ms);
  CHECK(backoff_delay(o, 1, 0.5) == 50ms);
  CHECK(backoff_delay(o, 2, 0.5) == 100ms);
  CHECK(backoff_delay(o, 4, 0.999) == 799ms);
  CHECK(backoff_delay(o, 5, 0.5) == 500ms);   // 1600 capped to 1000
  CHECK(backoff_delay(o, 60, 0.5) == 500ms);  // no overflow for large retry numbers
  CHECK(backoff_delay(o, 3, 7.0) == 400ms);   // the draw is clamped to [0, 1]
}
