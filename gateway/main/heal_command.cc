// `kvgate heal`: restore full redundancy of one object, a bucket, or every
// object (which also rebuilds a replaced disk), then drain the heal queue;
// offline, or as a job on a running server (--endpoint).
#include "commands.h"
#include "maintenance_verb.h"

namespace kvgate::cli {

void add_heal_command(CLI::App& app) {
  struct heal_options {
    maintenance_verb_options verb;
    std::string bucket;
    std::string key;
  };
  auto opts = std::make_shared<heal_options>();
  CLI::App* cmd = app.add_subcommand(
      "heal", "Rebuild missing or corrupt shards (one object, a bucket, or everything)");
  add_maintenance_verb_options(*cmd, opts->verb);
  cmd->add_option("--bucket", opts->bucket, "heal only this bucket");
  cmd->add_option("--key", opts->key, "heal only this object (needs --bucket)");
  cmd->callback([opts] {
    if (!opts->key.empty() && opts->bucket.empty()) admin_fail("heal", "--key needs --bucket");
    s3::maintenance_request request;
    request.kind = s3::maintenance_kind::heal;
    request.bucket = opts->bucket;
    request.key = opts->key;
    run_maintenance_verb(request, opts->verb);
  });
}

}  // namespace kvgate::cli
