// `kvgate verify`: check every block of one object or of every object against
// its checksums without repairing anything, offline or as a job on a running
// server (--endpoint). Exit status 1 if anything is wrong.
#include "commands.h"
#include "maintenance_verb.h"

namespace kvgate::cli {

void add_verify_command(CLI::App& app) {
  struct verify_options {
    maintenance_verb_options verb;
    std::string bucket;
    std::string key;
  };
  auto opts = std::make_shared<verify_options>();
  CLI::App* cmd = app.add_subcommand("verify", "Verify objects block by block (no repair)");
  add_maintenance_verb_options(*cmd, opts->verb);
  cmd->add_option("--bucket", opts->bucket, "verify only this bucket");
  cmd->add_option("--key", opts->key, "verify only this object (needs --bucket)");
  cmd->callback([opts] {
    if (!opts->key.empty() && opts->bucket.empty()) admin_fail("verify", "--key needs --bucket");
    s3::maintenance_request request;
    request.kind = s3::maintenance_kind::verify;
    request.bucket = opts->bucket;
    request.key = opts->key;
    run_maintenance_verb(request, opts->verb);
  });
}

}  // namespace kvgate::cli
