#include "kvgate/s3/maintenance.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

namespace kvgate::s3 {
namespace {

using json = nlohmann::json;

constexpr std::string_view kKindNames[kMaintenanceKinds] = {"heal", "scrub", "verify", "reindex"};
constexpr double kMiB = 1048576.0;

// json converts from a string, so text_result<json> needs to be told which side.
text_result<json> failure(std::string why) {
  return text_result<json>(boost::system::in_place_error, std::move(why));
}
text_result<json> report(json j) {
  return text_result<json>(boost::system::in_place_value, std::move(j));
}

json problem_json(const erasure::object_health& h) {
  return {{"bucket", h.bucket},
          {"key", h.key},
          {"readable", h.readable},
          {"shards_ok", h.shards_ok},
          {"shards_total", h.shards_total},
          {"problem", h.problem}};
}

bool needs_attention(const erasure::object_health& h) {
  return !h.problem.empty() || !h.readable;
}

text_result<json> run_heal(erasure::store& store, const maintenance_request& r,
                           const erasure::progress_fn& progress, const std::stop_token& stop) {
  std::uint64_t healed = 0;
  std::vector<erasure::object_health> problems;
  if (!r.key.empty()) {
    auto h = store.heal_object(r.bucket, r.key);
    if (!h) return failure(fmt::format("{}/{}: {}", r.bucket, r.key, h.error().message()));
    healed = h->shards_healed > 0 ? 1 : 0;
    if (needs_attention(*h)) problems.push_back(std::move(*h));
    if (progress) progress(1, 1);
  } else {
    auto all = store.heal_all(r.bucket, progress, stop);
    if (!all) return failure(all.error().message());
    for (auto& h : *all) {
      healed += h.shards_healed > 0 ? 1 : 0;
      if (needs_attention(h)) problems.push_back(std::move(h));
    }
    if (!stop.stop_requested())
      if (auto drained = store.drain_heal_queue(); !drained)
        return failure("draining the heal queue: " + drained.error().message());
  }
  json out{{"healed_objects", healed}, {"problems", json::array()}};
  bool ok = true;
  for (const auto& p : problems) {
    out["problems"].push_back(problem_json(p));
    ok = ok && p.readable;
  }
  out["ok"] = ok;
  out["stopped"] = stop.stop_requested();
  return report(std::move(out));
}

text_result<json> run_scrub(erasure::store& store, const maintenance_request& r,
                            const erasure::progress_fn& progress, const std::stop_token& stop) {
  erasure::scrub_options so;
  so.max_bytes_per_second = r.max_bytes_per_second;
  so.repair = r.repair;
  so.orphan_grace = r.orphan_grace;
  so.stop = stop;
  auto scrubbed = store.scrub(so, progress);
  if (!scrubbed) return failure(scrubbed.error().message());
  const erasure::scrub_report& s = *scrubbed;
  return report(json{{"objects_checked", s.objects_checked},
                     {"bytes_checked", s.bytes_checked},
                     {"corrupt_blocks", s.corrupt_blocks},
                     {"objects_repaired", s.objects_repaired},
                     {"objects_unrecoverable", s.objects_unrecoverable},
                     {"orphans_removed", s.orphans_removed},
                     {"ok", s.objects_unrecoverable == 0},
                     {"stopped", s.stopped}});
}

// Every key of the scope, listed before the walk (so `total` is known).
text_result<std::vector<std::pair<std::string, std::string>>> keys_of(
    erasure::store& store, const maintenance_request& r) {
  std::vector<std::pair<std::string, std::string>> keys;
  if (!r.key.empty()) {
    keys.emplace_back(r.bucket, r.key);
    return keys;
  }
  auto buckets = store.list_buckets();
  if (!buckets) return buckets.error().message();
  for (const auto& b : *buckets) {
    if (!r.bucket.empty() && b.name != r.bucket) continue;
    erasure::list_params p;
    while (true) {
      auto page = store.list(b.name, p);
      if (!page) return fmt::format("listing {}: {}", b.name, page.error().message());
      for (const auto& o : page->objects) keys.emplace_back(b.name, o.key);
      if (!page->truncated) break;
      p.start_after = page->next_start_after;
    }
  }
  return keys;
}

text_result<json> run_verify(erasure::store& store, const maintenance_request& r,
                             const erasure::progress_fn& progress, const std::stop_token& stop) {
  auto keys = keys_of(store, r);
  if (!keys) return failure(keys.error());
  json problems = json::array();
  std::uint64_t done = 0;
  for (const auto& [bucket, key] : *keys) {
    if (stop.stop_requested()) break;
    auto h = store.verify_object(bucket, key);
    if (!h) {
      erasure::object_health bad;
      bad.bucket = bucket;
      bad.key = key;
      bad.readable = false;
      bad.problem = h.error().message();
      problems.push_back(problem_json(bad));
    } else if (needs_attention(*h)) {
      problems.push_back(problem_json(*h));
    }
    if (progress) progress(++done, keys->size());
  }
  const bool ok = problems.empty();
  return report(json{{"objects", done},
                     {"problems", std::move(problems)},
                     {"ok", ok},
                     {"stopped", stop.stop_requested()}});
}

text_result<json> run_reindex(erasure::store& store, const erasure::progress_fn& progress,
                              const std::stop_token& stop) {
  auto reconciled = store.reconcile_index(progress, stop);
  if (!reconciled) return failure(reconciled.error().message());
  const erasure::reconcile_report& r = *reconciled;
  return report(json{{"objects_checked", r.objects_checked},
                     {"index_added", r.index_added},
                     {"index_updated", r.index_updated},
                     {"index_removed", r.index_removed},
                     {"buckets_added", r.buckets_added},
                     {"ok", true},
                     {"stopped", r.stopped}});
}

}  // namespace

std::string_view to_string(maintenance_kind kind) noexcept {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<maintenance_kind> parse_maintenance_kind(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kMaintenanceKinds; ++i)
    if (kKindNames[i] == name) return static_cast<maintenance_kind>(i);
  return std::nullopt;
}

text_result<maintenance_request> maintenance_request_from_json(const json& j) {
  if (!j.is_object()) return std::string("the job request must be a JSON object");
  maintenance_request r;
  bool has_kind = false;
  for (const auto& [name, value] : j.items()) {
    if (name == "kind") {
      auto kind =
          value.is_string() ? parse_maintenance_kind(value.get<std::string>()) : std::nullopt;
      if (!kind)
        return std::string("\"kind\" must be \"heal\", \"scrub\", \"verify\" or \"reindex\"");
      r.kind = *kind;
      has_kind = true;
    } else if (name == "bucket" || name == "key") {
      if (!value.is_string()) return fmt::format("\"{}\" must be a string", name);
      (name == "bucket" ? r.bucket : r.key) = value.get<std::string>();
    } else if (name == "rate_mib_per_second") {
      if (!value.is_number() || value.get<double>() < 0)
        return std::string("\"rate_mib_per_second\" must be a number >= 0 (0: unlimited)");
      r.max_bytes_per_second = value.get<double>() * kMiB;
    } else if (name == "repair") {
      if (!value.is_boolean()) return std::string("\"repair\" must be true or false");
      r.repair = value.get<bool>();
    } else if (name == "orphan_grace_seconds") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0)
        return std::string("\"orphan_grace_seconds\" must be a whole number >= 0");
      r.orphan_grace = std::chrono::seconds(value.get<std::int64_t>());
    } else {
      return fmt::format("unknown member \"{}\"", name);
    }
  }
  if (!has_kind)
    return std::string("\"kind\" is missing (\"heal\", \"scrub\", \"verify\" or \"reindex\")");
  if (!r.key.empty() && r.bucket.empty()) return std::string("\"key\" needs \"bucket\"");
  const bool walks_all = r.kind == maintenance_kind::scrub || r.kind == maintenance_kind::reindex;
  if (walks_all && !(r.bucket.empty() && r.key.empty()))
    return fmt::format("{} walks every object: \"bucket\" and \"key\" are for heal and verify",
                       to_string(r.kind));
  if (r.kind != maintenance_kind::scrub &&
      (j.contains("rate_mib_per_second") || j.contains("repair") ||
       j.contains("orphan_grace_seconds")))
    return fmt::format(
        "\"rate_mib_per_second\", \"repair\" and \"orphan_grace_seconds\" are "
        "for scrub, not {}",
        to_string(r.kind));
  return r;
}

json to_json(const maintenance_request& r) {
  json j{{"kind", to_string(r.kind)}};
  if (r.kind == maintenance_kind::scrub) {
    j["rate_mib_per_second"] = r.max_bytes_per_second / kMiB;
    j["repair"] = r.repair;
    j["orphan_grace_seconds"] = r.orphan_grace.count();
  } else if (r.kind != maintenance_kind::reindex) {
    if (!r.bucket.empty()) j["bucket"] = r.bucket;
    if (!r.key.empty()) j["key"] = r.key;
  }
  return j;
}

text_result<json> run_maintenance(erasure::store& store, const maintenance_request& request,
                                  const erasure::progress_fn& progress,
                                  const std::stop_token& stop) {
  switch (request.kind) {
    case maintenance_kind::heal:
      return run_heal(store, request, progress, stop);
    case maintenance_kind::scrub:
      return run_scrub(store, request, progress, stop);
    case maintenance_kind::reindex:
      return run_reindex(store, progress, stop);
    case maintenance_kind::verify:
      break;
  }
  return run_verify(store, request, progress, stop);
}

}  // namespace kvgate::s3
