// `kvgate scrub`: verify every block of every object at a bounded rate,
// repair what is damaged, and collect orphaned data; offline, or as a job on a
// running server (--endpoint).
#include "commands.h"
#include "maintenance_verb.h"

namespace kvgate::cli {

void add_scrub_command(CLI::App& app) {
  struct scrub_cli {
    maintenance_verb_options verb;
    double rate_mib = 0;
    bool no_repair = false;
    int grace_seconds = 3600;
  };
  auto opts = std::make_shared<scrub_cli>();
  CLI::App* cmd = app.add_subcommand("scrub", "Verify all blocks, repair damage, collect orphans");
  add_maintenance_verb_options(*cmd, opts->verb);
  cmd->add_option("--rate", opts->rate_mib, "read at most this many MiB/s (0 = unlimited)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-repair", opts->no_repair, "report damage without repairing it");
  cmd->add_option("--orphan-grace", opts->grace_seconds,
                  "seconds an unreferenced upload must age before it is collected")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opts] {
    s3::maintenance_request request;
    request.kind = s3::maintenance_kind::scrub;
    request.max_bytes_per_second = opts->rate_mib * 1048576.0;
    request.repair = !opts->no_repair;
    request.orphan_grace = std::chrono::seconds(opts->grace_seconds);
    run_maintenance_verb(request, opts->verb);
  });
}

}  // namespace kvgate::cli
