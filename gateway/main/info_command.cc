// `kvgate info`: geometry, disks (state, usage), objects, bytes and the heal
// queue of a stopped server's data directories.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "engine_admin.h"

namespace kvgate::cli {

void add_info_command(CLI::App& app) {
  auto target = std::make_shared<admin_target>();
  CLI::App* cmd =
      app.add_subcommand("info", "Show disks, usage and health of the data directories");
  add_target_options(*cmd, *target);
  cmd->callback([target] {
    auto store = open_store_or_fail(*target, "info");
    auto info = store->info();
    if (!info) admin_fail("info", info.error().message());
    if (target->json) {
      nlohmann::json j;
      j["deployment_id"] = info->deployment_id;
      j["k"] = info->k;
      j["m"] = info->m;
      j["block_size"] = info->block_size;
      j["objects"] = info->objects;
      j["logical_bytes"] = info->logical_bytes;
      j["buckets"] = info->buckets;
      j["heal_queue"] = info->heal_queue;
      for (const auto& d : info->disks)
        j["disks"].push_back({{"path", d.path.string()},
                              {"disk_id", d.disk_id},
                              {"index", d.set_index},
                              {"state", d.state},
                              {"total_bytes", d.total_bytes},
                              {"free_bytes", d.free_bytes}});
      std::cout << j.dump(2) << std::endl;
      return;
    }
    std::cout << fmt::format("deployment {}\nerasure set {}+{}, shard block {} KiB\n",
                             info->deployment_id, info->k, info->m, info->block_size / 1024);
    std::cout << fmt::format("{} buckets, {} objects, {} bytes; heal queue {}\n", info->buckets,
                             info->objects, info->logical_bytes, info->heal_queue);
    for (const auto& d : info->disks)
      std::cout << fmt::format("  disk {} {:<9} {}  {:.1f}/{:.1f} GiB free  id {}\n", d.set_index,
                               d.state, d.path.string(), d.free_bytes / 1073741824.0,
                               d.total_bytes / 1073741824.0, d.disk_id);
  });
}

}  // namespace kvgate::cli
