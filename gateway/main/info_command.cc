// `kvgate info`: geometry, disks (state, usage), objects, bytes, the heal
// queue, degraded reads and bitrot, and the cache tier's usage, limits and
// evictions. Offline on a stopped server's data directories, or with
// --endpoint from a running server's admin API (GET /.kvgate/v1/admin/info).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "admin_client.h"
#include "capacity_report_text.h"
#include "commands.h"
#include "engine_admin.h"
#include "kvgate/s3/info_report.h"

namespace kvgate::cli {
namespace {

using json = nlohmann::json;

constexpr std::string_view kVerb = "info";

struct info_options {
  admin_target target;
  std::string endpoint;
  std::string region = "us-east-1";
  std::string ca_file;
};

void print_info(const json& j, bool as_json) {
  if (as_json) {
    std::cout << j.dump(2) << std::endl;
    return;
  }
  std::cout << fmt::format("deployment {}\nerasure set {}+{}, shard block {} KiB\n",
                           j["deployment_id"].get<std::string>(), j["k"].get<int>(),
                           j["m"].get<int>(), j["block_size"].get<std::uint64_t>() / 1024);
  std::cout << fmt::format("{} buckets, {} objects, {} bytes; heal queue {}\n",
                           j["buckets"].get<std::uint64_t>(), j["objects"].get<std::uint64_t>(),
                           j["logical_bytes"].get<std::uint64_t>(),
                           j["heal_queue"].get<std::uint64_t>());
  std::cout << fmt::format(
      "degraded reads {}, healed objects {}, bitrot found {} / repaired {} (since start)\n",
      j["degraded_reads"].get<std::uint64_t>(), j["healed_objects"].get<std::uint64_t>(),
      j["bitrot_detected"].get<std::uint64_t>(), j["bitrot_repaired"].get<std::uint64_t>());
  for (const auto& d : j["disks"])
    std::cout << fmt::format(
        "  disk {} {:<9} {}  {:.1f}/{:.1f} GiB free  id {}\n", d["index"].get<int>(),
        d["state"].get<std::string>(), d["path"].get<std::string>(),
        d["free_bytes"].get<std::uint64_t>() / 1073741824.0,
        d["total_bytes"].get<std::uint64_t>() / 1073741824.0, d["disk_id"].get<std::string>());
  if (j.contains("lookups")) {
    const json& l = j["lookups"];
    std::cout << fmt::format(
        "lookups since start: HEAD {} hit / {} miss, GET {} hit / {} miss\n",
        l["HeadObject"]["hit"].get<std::uint64_t>(), l["HeadObject"]["miss"].get<std::uint64_t>(),
        l["GetObject"]["hit"].get<std::uint64_t>(), l["GetObject"]["miss"].get<std::uint64_t>());
  }
  if (j.contains("lifecycle") && j["lifecycle"].is_object()) {
    const json& l = j["lifecycle"];
    std::cout << fmt::format(
        "lifecycle since start: {} objects ({} bytes) expired, {} uploads aborted, {} errors\n",
        l["expired_objects"].get<std::uint64_t>(), l["expired_bytes"].get<std::uint64_t>(),
        l["aborted_uploads"].get<std::uint64_t>(), l["errors"].get<std::uint64_t>());
  }
  if (j["cache"].is_null()) {
    std::cout << "cache: " << j.value("cache_error", std::string("no report")) << "\n";
  } else {
    std::cout << "cache ";
    print_capacity_report(j["cache"], false);
  }
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto o = std::make_shared<info_options>();
  CLI::App* cmd = app.add_subcommand(
      "info", "Show disks, usage, health and the cache tier of the data directories or a server");
  add_target_options(*cmd, o->target);
  add_endpoint_options(*cmd, o->endpoint, o->region, o->ca_file);
  cmd->callback([o] {
    if (!o->endpoint.empty()) {
      print_info(call_admin_api(admin_get(kVerb, o->endpoint, o->region, o->ca_file, o->target,
                                          "/.kvgate/v1/admin/info")),
                 o->target.json);
      return;
    }
    auto store = open_store_or_fail(o->target, kVerb);
    auto info = store->info();
    if (!info) admin_fail(kVerb, info.error().message());
    print_info(s3::info_report(*store, *info), o->target.json);
  });
}

}  // namespace kvgate::cli
