// S3 bucket lifecycle configuration (Put/GetBucketLifecycleConfiguration):
// the subset kvgate applies, parsed strictly and rendered back.
//
// Served: rules with an ID, a prefix filter (<Filter><Prefix> or the legacy
// rule-level <Prefix>), Status Enabled|Disabled, Expiration by Days or Date,
// and AbortIncompleteMultipartUpload DaysAfterInitiation.
// ExpiredObjectDeleteMarker and the Noncurrent* actions are accepted and have
// no effect (kvgate keeps no versions). Tag, And and ObjectSize filters and
// Transition actions are refused (lifecycle_unsupported -> NotImplemented).
// Errors are xml_errc values with the S3 error AWS answers (xml_errc.h).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/s3xml/xml_errc.h"

namespace kvgate::s3xml {

inline constexpr std::size_t kMaxLifecycleBodyBytes = 1u << 20;
inline constexpr std::size_t kMaxLifecycleRules = 1000;
inline constexpr std::size_t kMaxLifecycleIdBytes = 255;

struct lifecycle_rule {
  std::string id;  // may be empty (S3 then generates one; kvgate keeps it empty)
  std::string prefix;
  bool legacy_prefix = false;  // the prefix came from the rule-level <Prefix>
  bool enabled = true;
  std::optional<std::uint32_t> expiration_days;
  std::optional<std::int64_t> expiration_date;  // Unix seconds, at midnight UTC
  std::optional<std::uint32_t> abort_upload_days;
  bool expired_object_delete_marker = false;  // accepted, no effect
  friend bool operator==(const lifecycle_rule&, const lifecycle_rule&) = default;
};

struct lifecycle_configuration {
  std::vector<lifecycle_rule> rules;
  friend bool operator==(const lifecycle_configuration&, const lifecycle_configuration&) = default;
};

[[nodiscard]] result<lifecycle_configuration> parse_lifecycle_configuration(std::string_view body);

// <LifecycleConfiguration xmlns=...><Rule>... in rule order. Parsing the
// output gives back an equal configuration.
std::string render_lifecycle_configuration(const lifecycle_configuration& config);

// "2026-01-01T00:00:00Z" / "2026-01-01T00:00:00.000Z" / "2026-01-01" ->
// Unix seconds; empty when malformed or not at midnight UTC.
std::optional<std::int64_t> parse_iso8601_date(std::string_view text);

}  // namespace kvgate::s3xml
