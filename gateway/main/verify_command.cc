// `kvgate verify`: check every block of one object or of every object against
// its checksums without repairing anything. Exit status 1 if anything is wrong.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "engine_admin.h"

namespace kvgate::cli {

void add_verify_command(CLI::App& app) {
  struct verify_options {
    admin_target target;
    std::string bucket;
    std::string key;
  };
  auto opts = std::make_shared<verify_options>();
  CLI::App* cmd = app.add_subcommand("verify", "Verify objects block by block (no repair)");
  add_target_options(*cmd, opts->target);
  cmd->add_option("--bucket", opts->bucket, "verify only this bucket");
  cmd->add_option("--key", opts->key, "verify only this object (needs --bucket)");
  cmd->callback([opts] {
    if (!opts->key.empty() && opts->bucket.empty()) admin_fail("verify", "--key needs --bucket");
    auto store = open_store_or_fail(opts->target, "verify");
    std::vector<std::pair<std::string, std::string>> keys;
    if (!opts->key.empty()) {
      keys.emplace_back(opts->bucket, opts->key);
    } else {
      auto buckets = store->list_buckets();
      if (!buckets) admin_fail("verify", buckets.error().message());
      for (const auto& b : *buckets) {
        if (!opts->bucket.empty() && b.name != opts->bucket) continue;
        erasure::list_params p;
        while (true) {
          auto page = store->list(b.name, p);
          if (!page) admin_fail("verify", page.error().message());
          for (const auto& o : page->objects) keys.emplace_back(b.name, o.key);
          if (!page->truncated) break;
          p.start_after = page->next_start_after;
        }
      }
    }
    progress_reporter progress("verify");
    std::vector<erasure::object_health> problems;
    std::uint64_t done = 0;
    for (const auto& [bucket, key] : keys) {
      auto h = store->verify_object(bucket, key);
      if (!h) {
        erasure::object_health bad;
        bad.bucket = bucket;
        bad.key = key;
        bad.readable = false;
        bad.problem = h.error().message();
        problems.push_back(bad);
      } else if (!h->problem.empty() || !h->readable) {
        problems.push_back(*h);
      }
      progress.update(++done, keys.size());
    }
    progress.finish();
    if (opts->target.json) {
      nlohmann::json j{{"objects", keys.size()}, {"problems", nlohmann::json::array()}};
      for (const auto& p : problems)
        j["problems"].push_back({{"bucket", p.bucket},
                                 {"key", p.key},
                                 {"readable", p.readable},
                                 {"shards_ok", p.shards_ok},
                                 {"problem", p.problem}});
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << fmt::format("verified {} object(s): {} with problems\n", keys.size(),
                               problems.size());
      for (const auto& p : problems)
        std::cout << fmt::format("  {}/{}: {}{}\n", p.bucket, p.key, p.problem,
                                 p.readable ? "" : " (UNREADABLE)");
    }
    if (!problems.empty()) throw CLI::RuntimeError(1);
  });
}

}  // namespace kvgate::cli
