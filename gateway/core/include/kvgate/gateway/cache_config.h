// The cache-tier part of the server configuration (docs/cache.md,
// docs/configuration.md): node capacity, watermarks, per-bucket quotas,
// no-evict and default TTL, and the lifecycle worker's pacing.
//
// Every capacity field is optional: a value set here (flag, environment or
// TOML file) overrides the one kept in the engine from `kvgate capacity`; an
// unset one keeps the kept value (or the engine default). Per-bucket settings
// come from the TOML file only, as tables:
//   [buckets.models]
//   quota_bytes = "200GiB"
//   quota_objects = 1000000
//   no_evict = false
//   default_ttl = "7d"
//   etag = "xxh3"
// Plain values; the parsing helpers are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kvgate::gateway {

// How the ETag of a single PUT or UploadPart is made (docs/configuration.md,
// "ETags"): md5 is S3's MD5 of the body; xxh3 is an opaque XXH3-128 of the
// body ("<32 hex>-xxh3"), for buckets whose clients never compare an ETag
// with an MD5 (KV-cache segments). A request with Content-MD5 always gets
// the MD5 ETag, whichever is set.
enum class etag_style { md5, xxh3 };

// "md5" or "xxh3"; empty optional otherwise.
std::optional<etag_style> parse_etag_style(std::string_view text);

struct bucket_cache_config {
  std::optional<std::uint64_t> quota_bytes;    // 0 = no quota
  std::optional<std::uint64_t> quota_objects;  // 0 = no quota
  std::optional<bool> no_evict;
  std::optional<std::uint64_t> default_ttl_seconds;  // 0 = no TTL
  std::optional<etag_style> etag;                    // unset: the server's `etag`
  friend bool operator==(const bucket_cache_config&, const bucket_cache_config&) = default;
};

struct cache_config {
  std::optional<std::uint64_t> max_bytes;    // node-wide logical bytes; 0 = unlimited
  std::optional<std::uint64_t> max_objects;  // node-wide objects; 0 = unlimited
  std::optional<double> high_watermark;      // fraction of a limit, (0, 1]
  std::optional<double> low_watermark;
  std::map<std::string, bucket_cache_config, std::less<>> buckets;
  // The lifecycle worker: one pass every interval, examining at most
  // `lifecycle_batch` objects and uploads per pass.
  std::chrono::seconds lifecycle_interval{60};
  std::uint32_t lifecycle_batch = 1000;
  // Length of a lifecycle "day" (Expiration Days, AbortIncompleteMultipartUpload
  // DaysAfterInitiation). Test-only: 86400 in production.
  std::uint64_t lifecycle_day_seconds = 86400;
  // Multipart uploads not completed or aborted this long after they were
  // created are aborted by the lifecycle worker in every bucket, rule or not
  // (a KV cache has no use for a half-written segment). 0 disables it.
  std::uint64_t abandoned_upload_seconds = 7 * 86400;
};

// "500GiB", "64 MiB", "1.5G", "4096", "10KB": binary (KiB, K, Ki) or decimal
// (KB) units up to EiB; a plain number is bytes. Empty optional on bad input
// or overflow.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

// "90s", "15m", "12h", "7d", "3600" (seconds). Empty optional on bad input.
std::optional<std::uint64_t> parse_duration_seconds(std::string_view text);

// "0.9" or "90%": a fraction in (0, 1]. Empty optional otherwise.
std::optional<double> parse_fraction(std::string_view text);

}  // namespace kvgate::gateway
