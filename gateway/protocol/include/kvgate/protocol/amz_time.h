// Timestamps used by S3 authentication: ISO 8601 basic ("20130524T000000Z",
// x-amz-date / X-Amz-Date), RFC 1123 HTTP dates (Date header, SigV2) and
// epoch seconds (SigV2 Expires). Also the 15-minute clock-skew rule.
// Pure functions; the current time is always passed in (injected clock).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "kvgate/protocol/result.h"

namespace kvgate::protocol {

using sys_seconds = std::chrono::sys_seconds;

inline constexpr std::chrono::seconds kMaxClockSkew{15 * 60};

[[nodiscard]] result<sys_seconds> parse_amz_date(std::string_view text);  // YYYYMMDDTHHMMSSZ
std::string format_amz_date(sys_seconds t);
std::string format_scope_date(sys_seconds t);  // YYYYMMDD
// "Fri, 24 May 2013 00:00:00 GMT" (also accepts "+0000" as the zone).
[[nodiscard]] result<sys_seconds> parse_http_date(std::string_view text);

// request_time_too_skewed when |request_time - now| > max_skew.
[[nodiscard]] result<void> check_clock_skew(sys_seconds request_time, sys_seconds now,
                                            std::chrono::seconds max_skew = kMaxClockSkew);

}  // namespace kvgate::protocol
