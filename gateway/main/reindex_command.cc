// `kvgate reindex`: offline, rebuild the index from the manifests on the
// disks; with --endpoint, check a running server's index against its disks
// and set right what differs (a job, as heal/scrub/verify).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "maintenance_verb.h"

namespace kvgate::cli {

void add_reindex_command(CLI::App& app) {
  auto opts = std::make_shared<maintenance_verb_options>();
  CLI::App* cmd = app.add_subcommand(
      "reindex",
      "Rebuild the index from the disks' manifests (--endpoint: reconcile a running server's)");
  add_maintenance_verb_options(*cmd, *opts);
  cmd->callback([opts] {
    if (!opts->endpoint.empty()) {
      s3::maintenance_request request;
      request.kind = s3::maintenance_kind::reindex;
      run_maintenance_verb(request, *opts);
      return;
    }
    if (opts->detach) admin_fail("reindex", "--detach needs --endpoint");
    auto store = open_store_or_fail(opts->target, "reindex");
    progress_reporter progress("reindex");
    auto n = store->reindex(
        [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); });
    progress.finish();
    if (!n) admin_fail("reindex", n.error().message());
    if (opts->target.json)
      std::cout << nlohmann::json{{"objects", *n}}.dump() << std::endl;
    else
      std::cout << fmt::format("index rebuilt: {} objects\n", *n);
  });
}

}  // namespace kvgate::cli
