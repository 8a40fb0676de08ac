// `kvgate scrub`: verify every block of every object at a bounded rate,
// repair what is damaged, and collect orphaned data.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "engine_admin.h"

namespace kvgate::cli {

void add_scrub_command(CLI::App& app) {
  struct scrub_cli {
    admin_target target;
    double rate_mib = 0;
    bool no_repair = false;
    int grace_seconds = 3600;
  };
  auto opts = std::make_shared<scrub_cli>();
  CLI::App* cmd = app.add_subcommand("scrub", "Verify all blocks, repair damage, collect orphans");
  add_target_options(*cmd, opts->target);
  cmd->add_option("--rate", opts->rate_mib, "read at most this many MiB/s (0 = unlimited)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-repair", opts->no_repair, "report damage without repairing it");
  cmd->add_option("--orphan-grace", opts->grace_seconds,
                  "seconds an unreferenced upload must age before it is collected")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opts] {
    auto store = open_store_or_fail(opts->target, "scrub");
    erasure::scrub_options so;
    so.max_bytes_per_second = opts->rate_mib * 1048576.0;
    so.repair = !opts->no_repair;
    so.orphan_grace = std::chrono::seconds(opts->grace_seconds);
    progress_reporter progress("scrub");
    auto report = store->scrub(
        so, [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); });
    progress.finish();
    if (!report) admin_fail("scrub", report.error().message());
    if (opts->target.json) {
      std::cout << nlohmann::json{{"objects_checked", report->objects_checked},
                                  {"bytes_checked", report->bytes_checked},
                                  {"corrupt_blocks", report->corrupt_blocks},
                                  {"objects_repaired", report->objects_repaired},
                                  {"objects_unrecoverable", report->objects_unrecoverable},
                                  {"orphans_removed", report->orphans_removed}}
                       .dump(2)
                << std::endl;
    } else {
      std::cout << fmt::format(
          "checked {} objects ({} bytes on disk): {} damaged shard(s), {} objects repaired, "
          "{} unrecoverable, {} orphans removed\n",
          report->objects_checked, report->bytes_checked, report->corrupt_blocks,
          report->objects_repaired, report->objects_unrecoverable, report->orphans_removed);
    }
    if (report->objects_unrecoverable > 0) throw CLI::RuntimeError(1);
  });
}

}  // namespace kvgate::cli
