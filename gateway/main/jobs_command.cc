// `kvgate jobs --endpoint URL [--stop ID] [--json]`: the maintenance jobs of a
// running server (heal, scrub, verify started with --endpoint or the admin
// API), newest first, and stopping one (docs/api.md "Maintenance jobs").
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "admin_client.h"
#include "commands.h"

namespace kvgate::cli {
namespace {

constexpr std::string_view kVerb = "jobs";

std::string progress_text(const nlohmann::json& j) {
  const auto total = j.value("total", std::uint64_t{0});
  if (total == 0) return "-";
  return fmt::format("{}/{}", j.value("done", std::uint64_t{0}), total);
}

void print_job(const nlohmann::json& j) {
  std::cout << fmt::format("{:>4}  {:<6}  {:<8}  {:>13}  {}", j.value("id", std::uint64_t{0}),
                           j.value("kind", ""), j.value("state", ""), progress_text(j),
                           j["request"].dump());
  if (j.contains("error")) std::cout << "  error: " << j["error"].get<std::string>();
  if (!j["result"].is_null()) std::cout << "  result: " << j["result"].dump();
  std::cout << "\n";
}

}  // namespace

void add_jobs_command(CLI::App& app) {
  struct jobs_options {
    admin_target target;
    std::string endpoint;
    std::string region = "us-east-1";
    std::string ca_file;
    std::uint64_t stop = 0;
  };
  auto o = std::make_shared<jobs_options>();
  CLI::App* cmd =
      app.add_subcommand("jobs", "List a running server's maintenance jobs, or stop one");
  add_target_options(*cmd, o->target);
  add_endpoint_options(*cmd, o->endpoint, o->region, o->ca_file);
  cmd->add_option("--stop", o->stop, "ask this job to stop after the object in hand");
  cmd->callback([o] {
    if (o->endpoint.empty()) admin_fail(kVerb, "--endpoint is required (jobs run on a server)");
    admin_call call =
        admin_get(kVerb, o->endpoint, o->region, o->ca_file, o->target, "/.kvgate/v1/admin/jobs");
    if (o->stop != 0) {
      call.method = "DELETE";
      call.path += "/" + std::to_string(o->stop);
    }
    const nlohmann::json answer = call_admin_api(call);
    if (o->target.json) {
      std::cout << answer.dump(2) << std::endl;
      return;
    }
    std::cout << fmt::format("{:>4}  {:<6}  {:<8}  {:>13}  {}\n", "id", "kind", "state", "objects",
                             "request");
    if (o->stop != 0) {
      print_job(answer);
      return;
    }
    for (const auto& j : answer["jobs"]) print_job(j);
  });
}

}  // namespace kvgate::cli
