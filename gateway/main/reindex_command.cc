// `kvgate reindex`: rebuild the index from the manifests on the disks.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "engine_admin.h"

namespace kvgate::cli {

void add_reindex_command(CLI::App& app) {
  auto target = std::make_shared<admin_target>();
  CLI::App* cmd = app.add_subcommand("reindex", "Rebuild the index from the disks' manifests");
  add_target_options(*cmd, *target);
  cmd->callback([target] {
    auto store = open_store_or_fail(*target, "reindex");
    progress_reporter progress("reindex");
    auto n = store->reindex(
        [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); });
    progress.finish();
    if (!n) admin_fail("reindex", n.error().message());
    if (target->json)
      std::cout << nlohmann::json{{"objects", *n}}.dump() << std::endl;
    else
      std::cout << fmt::format("index rebuilt: {} objects\n", *n);
  });
}

}  // namespace kvgate::cli
