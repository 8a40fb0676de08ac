// Cache policy: merge rules, JSON forms and the kept copy (cache_policy.h).
#include "kvgate/s3/cache_policy.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace kvgate::s3 {
namespace {

using json = nlohmann::json;

text_result<std::uint64_t> size_field(const json& v, std::string_view name) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  if (v.is_string()) {
    if (auto n = gateway::parse_byte_size(v.get<std::string>())) return *n;
  }
  return fmt::format("{}: expected a size (bytes or e.g. \"500GiB\")", name);
}

text_result<std::uint64_t> count_field(const json& v, std::string_view name) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return fmt::format("{}: expected a non-negative integer", name);
}

text_result<std::uint64_t> ttl_field(const json& v, std::string_view name) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  if (v.is_string()) {
    if (auto n = gateway::parse_duration_seconds(v.get<std::string>())) return *n;
  }
  return fmt::format("{}: expected seconds or a duration (e.g. \"7d\")", name);
}

text_result<double> fraction_field(const json& v, std::string_view name) {
  if (v.is_number()) {
    const double f = v.get<double>();
    if (f > 0 && f <= 1) return f;
  } else if (v.is_string()) {
    if (auto f = gateway::parse_fraction(v.get<std::string>())) return *f;
  }
  return fmt::format("{}: expected a fraction in (0, 1]", name);
}

text_result<bool> bool_field(const json& v, std::string_view name) {
  if (v.is_boolean()) return v.get<bool>();
  return fmt::format("{}: expected true or false", name);
}

bool empty_policy(const bucket_cache_policy& b) {
  return b.quota.max_bytes == 0 && b.quota.max_objects == 0 && !b.quota.no_evict &&
         b.default_ttl_seconds == 0;
}

std::string watermark_problem(const cache_policy& p) {
  if (!(p.low_watermark > 0 && p.low_watermark <= p.high_watermark && p.high_watermark <= 1))
    return fmt::format("watermarks must satisfy 0 < low <= high <= 1 (low {}, high {})",
                       p.low_watermark, p.high_watermark);
  return {};
}

}  // namespace

std::uint64_t cache_policy::ttl_seconds(std::string_view bucket) const {
  auto it = buckets.find(bucket);
  return it == buckets.end() ? 0 : it->second.default_ttl_seconds;
}

erasure::capacity_config cache_policy::to_capacity() const {
  erasure::capacity_config c;
  c.max_bytes = max_bytes;
  c.max_objects = max_objects;
  c.high_watermark = high_watermark;
  c.low_watermark = low_watermark;
  for (const auto& [name, b] : buckets) {
    if (b.quota.max_bytes != 0 || b.quota.max_objects != 0 || b.quota.no_evict)
      c.buckets.emplace(name, b.quota);
  }
  return c;
}

cache_policy_change change_from_config(const gateway::cache_config& config) {
  cache_policy_change c;
  c.max_bytes = config.max_bytes;
  c.max_objects = config.max_objects;
  c.high_watermark = config.high_watermark;
  c.low_watermark = config.low_watermark;
  for (const auto& [name, b] : config.buckets) {
    auto& out = c.buckets[name];
    out.quota_bytes = b.quota_bytes;
    out.quota_objects = b.quota_objects;
    out.no_evict = b.no_evict;
    out.default_ttl_seconds = b.default_ttl_seconds;
  }
  return c;
}

text_result<cache_policy> apply_change(cache_policy policy, const cache_policy_change& change) {
  if (change.max_bytes) policy.max_bytes = *change.max_bytes;
  if (change.max_objects) policy.max_objects = *change.max_objects;
  if (change.high_watermark) policy.high_watermark = *change.high_watermark;
  if (change.low_watermark) policy.low_watermark = *change.low_watermark;
  for (const auto& [name, c] : change.buckets) {
    if (c.remove) policy.buckets.erase(name);
    if (!c.quota_bytes && !c.quota_objects && !c.no_evict && !c.default_ttl_seconds) continue;
    auto& b = policy.buckets[name];
    if (c.quota_bytes) b.quota.max_bytes = *c.quota_bytes;
    if (c.quota_objects) b.quota.max_objects = *c.quota_objects;
    if (c.no_evict) b.quota.no_evict = *c.no_evict;
    if (c.default_ttl_seconds) b.default_ttl_seconds = *c.default_ttl_seconds;
  }
  std::erase_if(policy.buckets, [](const auto& kv) { return empty_policy(kv.second); });
  if (auto problem = watermark_problem(policy); !problem.empty()) return problem;
  return policy;
}

text_result<cache_policy_change> change_from_json(const json& j) {
  if (!j.is_object()) return std::string("expected a JSON object");
  cache_policy_change c;
  for (const auto& [key, v] : j.items()) {
    if (key == "max_bytes") {
      auto n = size_field(v, key);
      if (!n) return n.error();
      c.max_bytes = *n;
    } else if (key == "max_objects") {
      auto n = count_field(v, key);
      if (!n) return n.error();
      c.max_objects = *n;
    } else if (key == "high_watermark" || key == "low_watermark") {
      auto f = fraction_field(v, key);
      if (!f) return f.error();
      (key == "high_watermark" ? c.high_watermark : c.low_watermark) = *f;
    } else if (key == "buckets") {
      if (!v.is_object()) return std::string("buckets: expected an object keyed by bucket name");
      for (const auto& [name, bv] : v.items()) {
        if (!bv.is_object()) return fmt::format("buckets.{}: expected an object", name);
        bucket_cache_change& b = c.buckets[name];
        for (const auto& [field, fv] : bv.items()) {
          const std::string where = fmt::format("buckets.{}.{}", name, field);
          if (field == "quota_bytes") {
            auto n = size_field(fv, where);
            if (!n) return n.error();
            b.quota_bytes = *n;
          } else if (field == "quota_objects") {
            auto n = count_field(fv, where);
            if (!n) return n.error();
            b.quota_objects = *n;
          } else if (field == "no_evict") {
            auto f = bool_field(fv, where);
            if (!f) return f.error();
            b.no_evict = *f;
          } else if (field == "default_ttl") {
            auto n = ttl_field(fv, where);
            if (!n) return n.error();
            b.default_ttl_seconds = *n;
          } else if (field == "remove") {
            auto f = bool_field(fv, where);
            if (!f) return f.error();
            b.remove = *f;
          } else {
            return fmt::format("unknown field {}", where);
          }
        }
      }
    } else {
      return fmt::format("unknown field {}", key);
    }
  }
  return c;
}

json to_json(const cache_policy& p) {
  json j{{"max_bytes", p.max_bytes},
         {"max_objects", p.max_objects},
         {"high_watermark", p.high_watermark},
         {"low_watermark", p.low_watermark},
         {"buckets", json::object()}};
  for (const auto& [name, b] : p.buckets) {
    j["buckets"][name] = {{"quota_bytes", b.quota.max_bytes},
                          {"quota_objects", b.quota.max_objects},
                          {"no_evict", b.quota.no_evict},
                          {"default_ttl", b.default_ttl_seconds}};
  }
  return j;
}

text_result<cache_policy> policy_from_json(const json& j) {
  auto change = change_from_json(j);
  if (!change) return change.error();
  return apply_change(cache_policy{}, *change);
}

json report_json(const erasure::capacity_report& r, const cache_policy& p) {
  auto usage = [](const erasure::usage_totals& u) {
    return json{{"objects", u.objects},
                {"logical_bytes", u.logical_bytes},
                {"stored_bytes", u.stored_bytes},
                {"reserved_bytes", u.reserved_bytes},
                {"reserved_objects", u.reserved_objects}};
  };
  json j{{"max_bytes", r.max_bytes},
         {"max_objects", r.max_objects},
         {"high_watermark", r.high_watermark},
         {"low_watermark", r.low_watermark},
         {"usage", usage(r.node)},
         {"oldest_access_ns", r.oldest_access_ns},
         {"inline_evictions", r.inline_evictions},
         {"skipped_pinned", r.skipped_pinned},
         {"refused_quota", r.refused_quota},
         {"refused_capacity", r.refused_capacity},
         {"buckets", json::object()}};
  json evicted = json::object();
  for (std::size_t i = 0; i < erasure::kEvictionReasons; ++i) {
    evicted[std::string(erasure::to_string(static_cast<erasure::eviction_reason>(i)))] = {
        {"objects", r.evicted[i].objects}, {"bytes", r.evicted[i].bytes}};
  }
  j["evicted"] = evicted;
  for (const auto& b : r.buckets) {
    j["buckets"][b.bucket] = {{"usage", usage(b.usage)},
                              {"quota_bytes", b.policy.max_bytes},
                              {"quota_objects", b.policy.max_objects},
                              {"no_evict", b.policy.no_evict},
                              {"default_ttl", p.ttl_seconds(b.bucket)},
                              {"oldest_access_ns", b.oldest_access_ns}};
  }
  for (const auto& [name, b] : p.buckets) {
    if (j["buckets"].contains(name)) continue;
    j["buckets"][name] = {{"usage", usage({})},
                          {"quota_bytes", b.quota.max_bytes},
                          {"quota_objects", b.quota.max_objects},
                          {"no_evict", b.quota.no_evict},
                          {"default_ttl", b.default_ttl_seconds},
                          {"oldest_access_ns", 0}};
  }
  return j;
}

text_result<cache_policy> cache_policy_keeper::current() {
  return kept_cache_policy(*store_);
}

text_result<cache_policy> kept_cache_policy(erasure::store& store) {
  auto kept = store.get_setting(kCachePolicySetting);
  if (!kept) return "cannot read the kept cache policy: " + kept.error().message();
  if (!*kept) return cache_policy{};
  const json j = json::parse(**kept, nullptr, false);
  if (j.is_discarded()) return std::string("the kept cache policy is not valid JSON");
  return policy_from_json(j);
}

text_result<cache_policy> cache_policy_keeper::change(const cache_policy_change& change) {
  std::lock_guard lock(mutex_);
  auto policy = current();
  if (!policy) return policy.error();
  auto next = apply_change(std::move(*policy), change);
  if (!next) return next.error();
  if (auto r = store_->set_capacity(next->to_capacity()); !r)
    return "the engine refused the capacity settings: " + r.error().message();
  const std::string text = to_json(*next).dump();
  if (auto r = store_->put_setting(kCachePolicySetting, std::string_view(text)); !r)
    return "cannot keep the cache policy: " + r.error().message();
  return next;
}

text_result<cache_policy> install_startup_policy(cache_policy_keeper& keeper,
                                                 const gateway::cache_config& config) {
  auto p = keeper.change(change_from_config(config));
  if (!p)
    return p.error() +
           " (cache_high_watermark / cache_low_watermark in the configuration, combined with "
           "the values kept by `kvgate capacity`)";
  return p;
}

}  // namespace kvgate::s3
