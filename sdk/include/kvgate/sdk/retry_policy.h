// When a failed attempt is tried again, and after how long.
//
// Retried: connection failures and timeouts, HTTP 500, 502, 503 and 504,
// for idempotent requests only (GET, HEAD, DELETE, and PUT/UploadPart because
// their body is the caller's span and is sent again whole). Back-off is
// "full jitter": attempt n (0-based, the retry after the n+1-th failure)
// waits uniform[0, min(cap, base * 2^n)). Pure: the random draw is passed in.
#pragma once

#include <chrono>
#include <system_error>

namespace kvgate::sdk {

struct retry_options {
  unsigned max_attempts = 4;  // total attempts, >= 1
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_delay{2000};
};

// What one attempt ended with: a transport error (no response) or a status.
struct attempt_outcome {
  std::error_code transport_error;  // sdk_errc::connection_failed / timeout / tls_failed
  unsigned http_status = 0;
};

bool is_retryable(const attempt_outcome& outcome, bool idempotent) noexcept;

// Delay before retry number `retry` (0 = first retry); unit_random in [0, 1).
std::chrono::milliseconds backoff_delay(const retry_options& options, unsigned retry,
                                        double unit_random) noexcept;

// Decision for the attempt numbered `attempt` (1-based) that ended with `outcome`.
bool should_retry(const retry_options& options, unsigned attempt, const attempt_outcome& outcome,
                  bool idempotent) noexcept;

}  // namespace kvgate::sdk
