// `kvgate capacity`: the cache tier's usage, limits, quotas and TTLs
// (docs/cache.md). Without --endpoint it works on a stopped server's data
// directories like the other admin verbs; with --endpoint it talks to a
// running server's admin API (POST /.kvgate/v1/admin/capacity, SigV4-signed
// with the root credentials). Changes are kept with the data either way, so
// a restart keeps them unless the configuration sets the same key.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "admin_client.h"
#include "capacity_report_text.h"
#include "commands.h"
#include "engine_admin.h"
#include "kvgate/s3/cache_policy.h"

namespace kvgate::cli {
namespace {

using json = nlohmann::json;

constexpr std::string_view kVerb = "capacity";
constexpr std::string_view kAdminPath = "/.kvgate/v1/admin/capacity";

struct capacity_options {
  admin_target target;
  std::string endpoint;  // http://HOST:PORT
  std::string region = "us-east-1";
  std::string ca_file;
  std::string max_bytes, max_objects, high_watermark, low_watermark;
  std::string bucket, quota_bytes, quota_objects, no_evict, ttl;
  bool remove_bucket = false;
  bool evict_now = false;
};

// The JSON change the flags ask for (validated by change_from_json).
json change_from_flags(const capacity_options& o) {
  json j = json::object();
  auto number_or_text = [](const std::string& text) -> json {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
      return std::stoull(text);
    return text;
  };
  if (!o.max_bytes.empty()) j["max_bytes"] = number_or_text(o.max_bytes);
  if (!o.max_objects.empty()) j["max_objects"] = number_or_text(o.max_objects);
  if (!o.high_watermark.empty()) j["high_watermark"] = o.high_watermark;
  if (!o.low_watermark.empty()) j["low_watermark"] = o.low_watermark;
  const bool bucket_fields = !o.quota_bytes.empty() || !o.quota_objects.empty() ||
                             !o.no_evict.empty() || !o.ttl.empty() || o.remove_bucket;
  if (bucket_fields && o.bucket.empty())
    admin_fail(kVerb,
               "--quota-bytes, --quota-objects, --no-evict, --ttl and --remove need --bucket");
  if (!o.bucket.empty()) {
    json b = json::object();
    if (o.remove_bucket) b["remove"] = true;
    if (!o.quota_bytes.empty()) b["quota_bytes"] = number_or_text(o.quota_bytes);
    if (!o.quota_objects.empty()) b["quota_objects"] = number_or_text(o.quota_objects);
    if (!o.no_evict.empty()) {
      if (o.no_evict != "true" && o.no_evict != "false")
        admin_fail(kVerb, "--no-evict takes true or false");
      b["no_evict"] = o.no_evict == "true";
    }
    if (!o.ttl.empty()) b["default_ttl"] = number_or_text(o.ttl);
    j["buckets"][o.bucket] = b;
  }
  return j;
}

void run_offline(const capacity_options& o, const json& change_json) {
  auto parsed = s3::change_from_json(change_json);
  if (!parsed) admin_fail(kVerb, parsed.error());
  // No background eviction: a lowered limit is applied by the server (or by
  // --evict-now), never half-way while this verb exits.
  std::shared_ptr<erasure::store> store(open_store_or_fail(
      o.target, kVerb,
      [](erasure::store_options& so) { so.capacity.background_eviction = false; }));
  s3::cache_policy_keeper keeper(store);
  auto policy = keeper.change(*parsed);
  if (!policy) admin_fail(kVerb, policy.error());
  std::uint64_t evicted = 0;
  if (o.evict_now) {
    auto n = store->evict_now();
    if (!n) admin_fail(kVerb, "eviction failed: " + n.error().message());
    evicted = *n;
  }
  json report = s3::report_json(store->capacity_usage(), *policy);
  if (o.evict_now) report["evicted_now"] = evicted;
  print_capacity_report(report, o.target.json);
}

void run_online(const capacity_options& o, const json& change_json) {
  admin_call call =
      admin_get(kVerb, o.endpoint, o.region, o.ca_file, o.target, std::string(kAdminPath));
  if (!change_json.empty() || o.evict_now) call.method = "POST";
  if (o.evict_now) call.query = "evict";
  if (call.method == "POST") call.body = change_json.dump();
  print_capacity_report(call_admin_api(call), o.target.json);
}

}  // namespace

void add_capacity_command(CLI::App& app) {
  auto o = std::make_shared<capacity_options>();
  CLI::App* cmd = app.add_subcommand(
      "capacity",
      "Show or change the cache tier's limits, bucket quotas, no-evict and default TTLs");
  add_target_options(*cmd, o->target);
  add_endpoint_options(*cmd, o->endpoint, o->region, o->ca_file);
  cmd->add_option("--max-bytes", o->max_bytes, "node capacity, e.g. 500GiB (0 = unlimited)");
  cmd->add_option("--max-objects", o->max_objects, "node object limit (0 = unlimited)");
  cmd->add_option("--high-watermark", o->high_watermark, "fraction that starts eviction, e.g. 0.9");
  cmd->add_option("--low-watermark", o->low_watermark, "fraction eviction stops at, e.g. 0.8");
  cmd->add_option("--bucket", o->bucket, "the bucket the following settings apply to");
  cmd->add_option("--quota-bytes", o->quota_bytes, "bucket quota in bytes, e.g. 200GiB (0 = none)");
  cmd->add_option("--quota-objects", o->quota_objects, "bucket object quota (0 = none)");
  cmd->add_option("--no-evict", o->no_evict,
                  "true: never evict the bucket, refuse writes over its quota (403 QuotaExceeded)");
  cmd->add_option("--ttl", o->ttl, "bucket default TTL, e.g. 7d or 3600 (0 = none)");
  cmd->add_flag("--remove", o->remove_bucket, "drop the bucket's quota, no-evict and TTL");
  cmd->add_flag("--evict-now", o->evict_now, "run one eviction pass now");
  cmd->callback([o] {
    const json change = change_from_flags(*o);
    if (o->endpoint.empty()) {
      run_offline(*o, change);
    } else {
      run_online(*o, change);
    }
  });
}

}  // namespace kvgate::cli
