// What `kvgate heal|scrub|verify` share: run the operation (maintenance.h)
// offline on the data directories, or with --endpoint as a job on a running
// server (POST /.kvgate/v1/admin/jobs, then GET .../jobs/ID until it ends),
// with a progress bar on a terminal and JSON progress lines otherwise; then
// print the report (text, or --json) and exit 1 when it is not "ok".
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "engine_admin.h"
#include "kvgate/s3/maintenance.h"

namespace kvgate::cli {

struct maintenance_verb_options {
  admin_target target;
  std::string endpoint;  // empty: offline
  std::string region = "us-east-1";
  std::string ca_file;  // with an https --endpoint
  bool detach = false;  // with --endpoint: print the started job and return
};

// Adds --data/--config/--json, --endpoint/--region and --detach.
void add_maintenance_verb_options(CLI::App& cmd, maintenance_verb_options& options);

// Runs, prints and throws CLI::RuntimeError(1) when the report is not ok.
void run_maintenance_verb(const s3::maintenance_request& request,
                          const maintenance_verb_options& options);

}  // namespace kvgate::cli
