// `kvgate rebalance --endpoint URL`: after a membership change (docs/scaling.md
// "Changing the map"), copies the objects that sit on a node which no longer
// owns them to their owner under the new map, and removes the old copies.
// The map is the one every active member serves (refused when they
// disagree); every request carries it, so a node whose map changes meanwhile
// refuses (421) and the rebalance stops. Workers (--parallel) each hold one
// object at a time; --rate caps the bytes read per second; progress goes to
// stderr, the summary to stdout (--json: one JSON object). Exit 0 when
// nothing failed, 1 when something failed, 2 when the rebalance could not
// start.
#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "admin_client.h"
#include "commands.h"
#include "engine_admin.h"
#include "kvgate/gateway/cache_config.h"
#include "rebalance_inventory.h"
#include "rebalance_mover.h"
#include "rebalance_plan.h"
#include "token_bucket.h"

namespace kvgate::cli {
namespace {

using json = nlohmann::json;
constexpr std::string_view kVerb = "rebalance";
constexpr double kMiB = 1024.0 * 1024.0;

struct rebalance_options {
  admin_target target;
  std::string endpoint;
  std::string region = "us-east-1";
  std::string ca_file;
  double rate_mib = 0;
  std::string max_age;
  bool dry_run = false;
  bool keep = false;
  std::vector<std::string> buckets;
  unsigned parallel = 4;
  double max_object_mib = 256;
  double progress_seconds = 2;
};

struct tally {
  std::atomic<std::size_t> done{0}, moved{0}, already_there{0}, vanished{0}, failed{0},
      old_removed{0};
  std::atomic<std::uint64_t> bytes_done{0}, moved_bytes{0};
  std::atomic<bool> stop{false};
  std::mutex message_mutex;
  std::string stop_reason;
};

std::string mib(double bytes) {
  return fmt::format("{:.1f} MiB", bytes / kMiB);
}

// "rebalance: 40/120 objects, 3.0/9.1 MiB, 1.5 MiB/s, ETA 4 s"
void print_progress(const tally& t, std::size_t total, std::uint64_t total_bytes,
                    std::chrono::steady_clock::time_point start) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double bytes = static_cast<double>(t.bytes_done.load());
  const double rate = seconds > 0 ? bytes / seconds : 0;
  const double left = static_cast<double>(total_bytes) - bytes;
  std::cerr << fmt::format("rebalance: {}/{} objects, {:.1f}/{:.1f} MiB, {:.2f} MiB/s, ETA {}\n",
                           t.done.load(), total, bytes / kMiB, total_bytes / kMiB, rate / kMiB,
                           rate > 0 ? fmt::format("{:.0f} s", left / rate) : std::string("-"));
}

// Carries the plan out on `parallel` workers; progress every interval.
void run_moves(const rebalance_plan& plan, const mover_settings& settings, unsigned parallel,
               std::chrono::duration<double> interval, tally& t) {
  std::atomic<std::size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  auto work = [&] {
    mover m(settings);
    for (;;) {
      if (t.stop) return;
      const std::size_t i = next++;
      if (i >= plan.moves.size()) return;
      const auto& move = plan.moves[i];
      const move_outcome out = m.move(move);
      switch (out.result) {
        case move_result::moved:
          ++t.moved;
          t.moved_bytes += move.object.size;
          break;
        case move_result::already_there:
          ++t.already_there;
          break;
        case move_result::vanished:
          ++t.vanished;
          break;
        case move_result::failed:
          ++t.failed;
          std::cerr << fmt::format("rebalance: {}/{}: {}\n", move.object.bucket, move.object.key,
                                   out.message);
          break;
        case move_result::map_mismatch: {
          ++t.failed;
          std::lock_guard lock(t.message_mutex);
          if (!t.stop.exchange(true)) t.stop_reason = out.message;
          break;
        }
      }
      if (out.old_removed) ++t.old_removed;
      if (!move.already_there) t.bytes_done += move.object.size;
      ++t.done;
    }
  };
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < std::max(1u, parallel); ++i) workers.emplace_back(work);
  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  std::thread reporter([&] {
    std::unique_lock lock(mutex);
    while (!cv.wait_for(lock, interval, [&] { return finished; }))
      print_progress(t, plan.moves.size(), plan.bytes_to_copy(), start);
  });
  for (auto& w : workers) w.join();
  {
    std::lock_guard lock(mutex);
    finished = true;
  }
  cv.notify_all();
  reporter.join();
  print_progress(t, plan.moves.size(), plan.bytes_to_copy(), start);
}

json summary_json(const rebalance_options& o, const agreed_map& map, const inventory& inv,
                  const rebalance_plan& plan, const tally& t, double seconds) {
  std::size_t planned_already = plan.moves.size() - plan.copies();
  json j{{"dry_run", o.dry_run},
         {"cluster_id", map.routing.cluster_id},
         {"map_version", map.routing.version},
         {"objects_listed", inv.objects.size()},
         {"in_place", plan.in_place},
         {"to_move", plan.copies()},
         {"to_move_bytes", plan.bytes_to_copy()},
         {"already_there_listed", planned_already},
         {"skipped_old", plan.skipped_old},
         {"skipped_old_bytes", plan.skipped_old_bytes},
         {"too_large", plan.too_large.size()},
         {"no_owner", plan.no_owner},
         {"moved", t.moved.load()},
         {"moved_bytes", t.moved_bytes.load()},
         {"already_there", t.already_there.load()},
         {"vanished", t.vanished.load()},
         {"old_removed", t.old_removed.load()},
         {"failed", t.failed.load() + plan.too_large.size()},
         {"seconds", seconds}};
  return j;
}

void print_summary(const json& j) {
  if (j["dry_run"].get<bool>()) {
    std::cout << fmt::format(
        "dry run, map version {} of cluster \"{}\": {} objects listed, {} on their owner; would "
        "move {} objects ({}), drop {} copies already on their owner; {} skipped as old ({}), {} "
        "too large, {} without an owner\n",
        j["map_version"].get<std::uint64_t>(), j["cluster_id"].get<std::string>(),
        j["objects_listed"].get<std::size_t>(), j["in_place"].get<std::size_t>(),
        j["to_move"].get<std::size_t>(), mib(j["to_move_bytes"].get<double>()),
        j["already_there_listed"].get<std::size_t>(), j["skipped_old"].get<std::size_t>(),
        mib(j["skipped_old_bytes"].get<double>()), j["too_large"].get<std::size_t>(),
        j["no_owner"].get<std::size_t>());
    return;
  }
  const double seconds = j["seconds"].get<double>();
  const double bytes = j["moved_bytes"].get<double>();
  std::cout << fmt::format(
      "rebalance, map version {} of cluster \"{}\": moved {} objects ({}) in {:.1f} s ({:.2f} "
      "MiB/s); already on their owner {}; vanished {}; old copies removed {}; skipped as old {} "
      "({}); on their owner {}; failed {}\n",
      j["map_version"].get<std::uint64_t>(), j["cluster_id"].get<std::string>(),
      j["moved"].get<std::size_t>(), mib(bytes), seconds,
      seconds > 0 ? bytes / kMiB / seconds : 0.0, j["already_there"].get<std::size_t>(),
      j["vanished"].get<std::size_t>(), j["old_removed"].get<std::size_t>(),
      j["skipped_old"].get<std::size_t>(), mib(j["skipped_old_bytes"].get<double>()),
      j["in_place"].get<std::size_t>(), j["failed"].get<std::size_t>());
}

void run_rebalance(const rebalance_options& o) {
  if (o.endpoint.empty())
    admin_fail(kVerb, "--endpoint http(s)://HOST:PORT (any member) is required");
  if (o.rate_mib < 0) admin_fail(kVerb, "--rate must be >= 0 MiB/s (0 = unlimited)");
  if (o.max_object_mib <= 0) admin_fail(kVerb, "--max-object-size must be > 0 MiB");
  if (o.parallel < 1 || o.parallel > 64) admin_fail(kVerb, "--parallel must be 1..64");
  plan_limits limits;
  limits.max_object_size = static_cast<std::uint64_t>(o.max_object_mib * kMiB);
  if (!o.max_age.empty()) {
    auto age = gateway::parse_duration_seconds(o.max_age);
    if (!age || *age == 0)
      admin_fail(kVerb, fmt::format("--max-age {}: expected a duration such as 90s, 30m, 12h, 7d",
                                    o.max_age));
    limits.max_age = std::chrono::seconds(*age);
  }
  const gateway::credentials root = root_credentials(kVerb, o.target);
  const client_factory make_client = [&](const std::string& endpoint, const routing_map& map) {
    return node_client::create(endpoint, root, o.region, map, limits.max_object_size, o.ca_file);
  };

  auto map = fetch_agreed_map(o.endpoint, make_client);
  if (!map) admin_fail(kVerb, map.error());
  auto inv = list_cluster(*map, o.buckets, make_client);
  if (!inv) admin_fail(kVerb, inv.error());
  const rebalance_plan plan = plan_rebalance(*map, *inv, limits);
  for (const auto& big : plan.too_large)
    std::cerr << fmt::format(
        "rebalance: {}/{} ({}) is larger than --max-object-size {}: not moved\n", big.bucket,
        big.key, mib(static_cast<double>(big.size)),
        mib(static_cast<double>(limits.max_object_size)));

  tally t;
  const auto start = std::chrono::steady_clock::now();
  if (!o.dry_run) {
    token_bucket rate(o.rate_mib * kMiB);
    mover_settings settings{
        &*map,    root, o.region, limits.max_object_size, o.keep, o.rate_mib > 0 ? &rate : nullptr,
        o.ca_file};
    run_moves(plan, settings, o.parallel, std::chrono::duration<double>(o.progress_seconds), t);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const json summary = summary_json(o, *map, *inv, plan, t, seconds);
  if (o.target.json)
    std::cout << summary.dump() << std::endl;
  else
    print_summary(summary);
  if (t.stop) {
    std::cerr << fmt::format(
        "rebalance: stopped: a node refused the map this rebalance works from ({}). Give every "
        "node the same map, then run it again\n",
        t.stop_reason);
  }
  if (summary["failed"].get<std::size_t>() > 0) throw CLI::RuntimeError(1);
}

}  // namespace

void add_rebalance_command(CLI::App& app) {
  auto o = std::make_shared<rebalance_options>();
  CLI::App* cmd = app.add_subcommand(
      "rebalance",
      "after a membership change, move objects that sit on a node which no longer owns them to "
      "their owner under the cluster map (docs/scaling.md)");
  add_target_options(*cmd, o->target);
  add_endpoint_options(*cmd, o->endpoint, o->region, o->ca_file);
  cmd->add_option("--rate", o->rate_mib,
                  "MiB/s read from the old nodes, all workers [default: 0 = unlimited]");
  cmd->add_option("--max-age", o->max_age,
                  "move only objects modified within this age (90s, 30m, 12h, 7d); older "
                  "ones stay for LRU/TTL to evict");
  cmd->add_flag("--dry-run", o->dry_run, "list and plan, move nothing");
  cmd->add_flag("--keep", o->keep, "leave the old copies in place");
  cmd->add_option("--bucket", o->buckets, "only these buckets (repeatable) [default: all]");
  cmd->add_option("--parallel", o->parallel, "objects in flight, one buffer each [default: 4]");
  cmd->add_option("--max-object-size", o->max_object_mib,
                  "MiB; larger objects are reported and not moved [default: 256]");
  cmd->add_option("--progress-interval", o->progress_seconds,
                  "seconds between progress lines on stderr [default: 2]");
  cmd->callback([o] { run_rebalance(*o); });
}

}  // namespace kvgate::cli
