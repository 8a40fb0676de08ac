// The cache tier's policy as the gateway manages it (docs/cache.md): node
// limits and watermarks, per-bucket quotas / no-evict (the engine's
// capacity_config) plus per-bucket default TTLs (applied by the lifecycle
// worker). One policy is kept with the data (store setting
// "kvgate/cache-policy", JSON) so changes made at run time survive restarts.
//
// Precedence at start: a value set in the configuration (flag, environment,
// TOML) > the kept value (last `kvgate capacity` change) > the engine default.
// The effective policy is kept again at start, so a later run-time change
// starts from what was in force.
//
// cache_policy_keeper serializes read-modify-write changes (admin API and
// verb); the free functions are pure.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "kvgate/erasure/store.h"
#include "kvgate/gateway/cache_config.h"

namespace kvgate::s3 {

inline constexpr std::string_view kCachePolicySetting = "kvgate/cache-policy";

struct bucket_cache_policy {
  erasure::bucket_policy quota;           // max_bytes, max_objects, no_evict
  std::uint64_t default_ttl_seconds = 0;  // 0 = objects never expire by age
  friend bool operator==(const bucket_cache_policy&, const bucket_cache_policy&) = default;
};

struct cache_policy {
  std::uint64_t max_bytes = 0;
  std::uint64_t max_objects = 0;
  double high_watermark = 0.90;
  double low_watermark = 0.80;
  std::map<std::string, bucket_cache_policy, std::less<>> buckets;

  std::uint64_t ttl_seconds(std::string_view bucket) const;
  erasure::capacity_config to_capacity() const;  // background_eviction stays true
};

// A partial change: what the admin API / verb / configuration sets.
struct bucket_cache_change {
  std::optional<std::uint64_t> quota_bytes;
  std::optional<std::uint64_t> quota_objects;
  std::optional<bool> no_evict;
  std::optional<std::uint64_t> default_ttl_seconds;
  bool remove = false;  // drop the bucket's policy (before applying the fields)
};

struct cache_policy_change {
  std::optional<std::uint64_t> max_bytes;
  std::optional<std::uint64_t> max_objects;
  std::optional<double> high_watermark;
  std::optional<double> low_watermark;
  std::map<std::string, bucket_cache_change, std::less<>> buckets;
};

template <class T>
using text_result = boost::system::result<T, std::string>;

// The change a configuration makes (only the keys it sets).
cache_policy_change change_from_config(const gateway::cache_config& config);
// Applies `change` to `policy`; a bucket left with no quota, no-evict or TTL
// is dropped. Fails (with a sentence) when the watermarks end up invalid.
text_result<cache_policy> apply_change(cache_policy policy, const cache_policy_change& change);

// JSON forms. A change accepts sizes as numbers or strings with units
// ("500GiB"), TTLs as seconds or durations ("7d"), watermarks as fractions:
//   {"max_bytes": "2GiB", "low_watermark": 0.7,
//    "buckets": {"models": {"quota_bytes": "1GiB", "no_evict": true,
//                           "default_ttl": "7d"},
//                "old": {"remove": true}}}
text_result<cache_policy_change> change_from_json(const nlohmann::json& j);
nlohmann::json to_json(const cache_policy& p);
text_result<cache_policy> policy_from_json(const nlohmann::json& j);
// The report the admin API and `kvgate capacity --json` print: limits,
// watermarks, node and per-bucket usage, TTLs, eviction and refusal counters.
nlohmann::json report_json(const erasure::capacity_report& r, const cache_policy& p);

// The kept policy, or the defaults when none was kept.
text_result<cache_policy> kept_cache_policy(erasure::store& store);

// Reads and writes the kept policy.
class cache_policy_keeper {
 public:
  explicit cache_policy_keeper(std::shared_ptr<erasure::store> store) : store_(std::move(store)) {}
  // The kept policy, or the defaults when none was kept.
  text_result<cache_policy> current();
  // current() + change, installed in the engine (set_capacity) and kept.
  text_result<cache_policy> change(const cache_policy_change& change);
  erasure::store& store() noexcept { return *store_; }

 private:
  std::mutex mutex_;
  std::shared_ptr<erasure::store> store_;
};

// Start-up: kept policy overlaid with the configuration, installed and kept.
// The message names the configuration keys when the result is invalid.
text_result<cache_policy> install_startup_policy(cache_policy_keeper& keeper,
                                                 const gateway::cache_config& config);

}  // namespace kvgate::s3
