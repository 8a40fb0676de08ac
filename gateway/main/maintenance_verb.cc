#include "maintenance_verb.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "admin_client.h"

namespace kvgate::cli {
namespace {

using json = nlohmann::json;

constexpr std::string_view kJobsPath = "/.kvgate/v1/admin/jobs";
constexpr auto kPollInterval = std::chrono::milliseconds(200);

void print_problems(const json& problems, bool with_shards) {
  for (const auto& p : problems) {
    std::cout << fmt::format("  {}/{}: {}", p.value("bucket", ""), p.value("key", ""),
                             p.value("problem", ""));
    if (!p.value("readable", true))
      std::cout << " (UNREADABLE)";
    else if (with_shards)
      std::cout << fmt::format(" ({}/{} shards ok)", p.value("shards_ok", 0),
                               p.value("shards_total", 0));
    std::cout << "\n";
  }
}

void print_text(s3::maintenance_kind kind, const json& r) {
  if (r.value("stopped", false))
    std::cout << "stopped before the end: the report covers the objects walked\n";
  switch (kind) {
    case s3::maintenance_kind::heal:
      std::cout << fmt::format("healed {} object(s); {} still need attention\n",
                               r.value("healed_objects", std::uint64_t{0}), r["problems"].size());
      print_problems(r["problems"], true);
      return;
    case s3::maintenance_kind::scrub:
      std::cout << fmt::format(
          "checked {} objects ({} bytes on disk): {} damaged shard(s), {} objects repaired, "
          "{} unrecoverable, {} orphans removed\n",
          r.value("objects_checked", std::uint64_t{0}), r.value("bytes_checked", std::uint64_t{0}),
          r.value("corrupt_blocks", std::uint64_t{0}),
          r.value("objects_repaired", std::uint64_t{0}),
          r.value("objects_unrecoverable", std::uint64_t{0}),
          r.value("orphans_removed", std::uint64_t{0}));
      return;
    case s3::maintenance_kind::reindex:
      std::cout << fmt::format(
          "index checked against the disks: {} key(s); {} added, {} updated, {} removed; {} "
          "bucket(s) added\n",
          r.value("objects_checked", std::uint64_t{0}), r.value("index_added", std::uint64_t{0}),
          r.value("index_updated", std::uint64_t{0}), r.value("index_removed", std::uint64_t{0}),
          r.value("buckets_added", std::uint64_t{0}));
      return;
    case s3::maintenance_kind::verify:
      std::cout << fmt::format("verified {} object(s): {} with problems\n",
                               r.value("objects", std::uint64_t{0}), r["problems"].size());
      print_problems(r["problems"], false);
      return;
  }
}

admin_call job_call(const maintenance_verb_options& o, std::string_view verb) {
  return admin_get(verb, o.endpoint, o.region, o.ca_file, o.target, std::string(kJobsPath));
}

// Starts the job on the server and follows it to the end; its report.
json run_online(const s3::maintenance_request& request, const maintenance_verb_options& o,
                std::string_view verb) {
  admin_call start = job_call(o, verb);
  start.method = "POST";
  start.body = s3::to_json(request).dump();
  const json job = call_admin_api(start);
  const std::uint64_t id = job.at("id").get<std::uint64_t>();
  if (o.detach) {
    std::cout << (o.target.json ? job.dump(2)
                                : fmt::format("{} job {} started on {}", verb, id, o.endpoint))
              << std::endl;
    return json{{"ok", true}, {"detached", true}};
  }
  std::cerr << fmt::format(
                   "kvgate {}: job {} runs on {}; interrupting this command leaves it running "
                   "(kvgate jobs --endpoint {} --stop {})",
                   verb, id, o.endpoint, o.endpoint, id)
            << std::endl;
  admin_call poll = job_call(o, verb);
  poll.path += "/" + std::to_string(id);
  progress_reporter progress{std::string(verb)};
  while (true) {
    const json now = call_admin_api(poll);
    progress.update(now.value("done", std::uint64_t{0}), now.value("total", std::uint64_t{0}));
    const std::string state = now.value("state", "");
    if (state == "failed") {
      progress.finish();
      admin_fail(verb, fmt::format("job {} failed: {}", id, now.value("error", "")));
    }
    if (state == "done" || state == "stopped") {
      progress.finish();
      return now.at("result");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

json run_offline(const s3::maintenance_request& request, const maintenance_verb_options& o,
                 std::string_view verb) {
  auto store = open_store_or_fail(o.target, verb);
  progress_reporter progress{std::string(verb)};
  auto report = s3::run_maintenance(
      *store, request,
      [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); }, {});
  progress.finish();
  if (!report) admin_fail(verb, report.error());
  return std::move(*report);
}

}  // namespace

void add_maintenance_verb_options(CLI::App& cmd, maintenance_verb_options& options) {
  add_target_options(cmd, options.target);
  add_endpoint_options(cmd, options.endpoint, options.region, options.ca_file);
  cmd.add_flag("--detach", options.detach,
               "with --endpoint: start the job and return (follow it with kvgate jobs)");
}

void run_maintenance_verb(const s3::maintenance_request& request,
                          const maintenance_verb_options& options) {
  const std::string_view verb = s3::to_string(request.kind);
  if (options.detach && options.endpoint.empty()) admin_fail(verb, "--detach needs --endpoint");
  const json report = options.endpoint.empty() ? run_offline(request, options, verb)
                                               : run_online(request, options, verb);
  if (report.value("detached", false)) return;
  if (options.target.json)
    std::cout << report.dump(2) << std::endl;
  else
    print_text(request.kind, report);
  if (!report.value("ok", false)) throw CLI::RuntimeError(1);
}

}  // namespace kvgate::cli
