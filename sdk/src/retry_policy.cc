#include "kvgate/sdk/retry_policy.h"

#include <algorithm>

#include "kvgate/sdk/error.h"

namespace kvgate::sdk {

bool is_retryable(const attempt_outcome& outcome, bool idempotent) noexcept {
  if (!idempotent) return false;
  if (outcome.transport_error) {
    return outcome.transport_error == sdk_errc::connection_failed ||
           outcome.transport_error == sdk_errc::timeout;
  }
  switch (outcome.http_status) {
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

std::chrono::milliseconds backoff_delay(const retry_options& options, unsigned retry,
                                        double unit_random) noexcept {
  auto ceiling = options.base_delay;
  for (unsigned i = 0; i < retry && ceiling < options.max_delay; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, options.max_delay);
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(r * static_cast<double>(ceiling.count())));
}

bool should_retry(const retry_options& options, unsigned attempt, const attempt_outcome& outcome,
                  bool idempotent) noexcept {
  return attempt < options.max_attempts && is_retryable(outcome, idempotent);
}

}  // namespace kvgate::sdk
