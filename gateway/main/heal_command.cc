// `kvgate heal`: restore full redundancy of one object, a bucket, or every
// object (which also rebuilds a replaced disk), then drain the heal queue.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "engine_admin.h"

namespace kvgate::cli {

void add_heal_command(CLI::App& app) {
  struct heal_options {
    admin_target target;
    std::string bucket;
    std::string key;
  };
  auto opts = std::make_shared<heal_options>();
  CLI::App* cmd = app.add_subcommand(
      "heal", "Rebuild missing or corrupt shards (one object, a bucket, or everything)");
  add_target_options(*cmd, opts->target);
  cmd->add_option("--bucket", opts->bucket, "heal only this bucket");
  cmd->add_option("--key", opts->key, "heal only this object (needs --bucket)");
  cmd->callback([opts] {
    if (!opts->key.empty() && opts->bucket.empty()) admin_fail("heal", "--key needs --bucket");
    auto store = open_store_or_fail(opts->target, "heal");
    std::vector<erasure::object_health> problems;
    std::uint64_t healed = 0;
    if (!opts->key.empty()) {
      auto h = store->heal_object(opts->bucket, opts->key);
      if (!h)
        admin_fail("heal", fmt::format("{}/{}: {}", opts->bucket, opts->key, h.error().message()));
      healed = h->shards_healed > 0 ? 1 : 0;
      if (!h->problem.empty() || !h->readable) problems.push_back(*h);
    } else {
      progress_reporter progress("heal");
      auto all = store->heal_all(opts->bucket, [&](std::uint64_t done, std::uint64_t total) {
        progress.update(done, total);
      });
      progress.finish();
      if (!all) admin_fail("heal", all.error().message());
      for (auto& h : *all) {
        healed += h.shards_healed > 0 ? 1 : 0;
        if (!h.problem.empty() || !h.readable) problems.push_back(std::move(h));
      }
      auto drained = store->drain_heal_queue();
      if (!drained) admin_fail("heal", drained.error().message());
    }
    if (opts->target.json) {
      nlohmann::json j{{"healed_objects", healed}, {"problems", nlohmann::json::array()}};
      for (const auto& p : problems)
        j["problems"].push_back({{"bucket", p.bucket},
                                 {"key", p.key},
                                 {"readable", p.readable},
                                 {"shards_ok", p.shards_ok},
                                 {"shards_total", p.shards_total},
                                 {"problem", p.problem}});
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << fmt::format("healed {} object(s); {} still need attention\n", healed,
                               problems.size());
      for (const auto& p : problems)
        std::cout << fmt::format("  {}/{}: {} ({}/{} shards ok)\n", p.bucket, p.key, p.problem,
                                 p.shards_ok, p.shards_total);
    }
    for (const auto& p : problems)
      if (!p.readable) throw CLI::RuntimeError(1);
  });
}

}  // namespace kvgate::cli
