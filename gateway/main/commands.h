// Subcommand registration for the kvgate binary.
//
// Each verb lives in gateway/main/<verb>_command.cc and exposes one
// `void add_<verb>_command(CLI::App& app)` that adds its subcommand, options
// and callback. A callback reports failure by throwing CLI::RuntimeError(code)
// (after printing its message), so kvgate_main.cc stays a list of
// registrations. To add a verb: write the file, declare it here, call it in
// kvgate_main.cc, add the file to the kvgate executable in gateway/CMakeLists.txt.
#pragma once

#include <CLI/CLI.hpp>

namespace kvgate::cli {

void add_serve_command(CLI::App& app);
// Engine admin verbs on a stopped server's data directories (engine_admin.h);
// heal, scrub and verify also run as jobs on a running one (maintenance_verb.h).
void add_info_command(CLI::App& app);
void add_heal_command(CLI::App& app);
void add_scrub_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_reindex_command(CLI::App& app);
// Cache tier: usage, limits, quotas, TTLs, offline or against a running
// server's admin API (capacity_command.cc).
void add_capacity_command(CLI::App& app);
// A running server's heal/scrub/verify jobs (jobs_command.cc).
void add_jobs_command(CLI::App& app);
// Scale-out: move objects to their owner after a cluster map change
// (rebalance_command.cc).
void add_rebalance_command(CLI::App& app);

}  // namespace kvgate::cli
