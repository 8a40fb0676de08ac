#include "engine_admin.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "kvgate/gateway/config.h"

namespace kvgate::cli {

void add_target_options(CLI::App& cmd, admin_target& target) {
  cmd.add_option("--data", target.data,
                 "data directory, one per disk, in set order (default: as kvgate serve)");
  cmd.add_option("--config", target.config, "configuration file (TOML), as for kvgate serve");
  cmd.add_flag("--json", target.json, "machine-readable output");
}

void admin_fail(std::string_view verb, std::string_view message, int code) {
  std::cerr << "kvgate " << verb << ": " << message << std::endl;
  throw CLI::RuntimeError(code);
}

gateway::server_config load_config_or_fail(const admin_target& target, std::string_view verb) {
  gateway::config_layer flags;
  if (!target.data.empty()) flags.emplace("data", gateway::config_value{target.data, "--data"});
  if (!target.config.empty())
    flags.emplace("config", gateway::config_value{{target.config}, "--config"});
  auto config = gateway::load_config(
      flags, [](const char* name) { return std::getenv(name); },
      std::max(1u, std::thread::hardware_concurrency()));
  if (!config) admin_fail(verb, config.error().message);
  return std::move(*config);
}

std::unique_ptr<erasure::store> open_store_or_fail(
    const admin_target& target, std::string_view verb,
    const std::function<void(erasure::store_options&)>& adjust) {
  // Engine log lines go to stderr: stdout carries the verb's result (--json).
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "kvgate", std::make_shared<spdlog::sinks::stderr_sink_mt>()));
  const auto config = load_config_or_fail(target, verb);
  erasure::store_options options;
  for (const auto& d : config.data_dirs) options.disk_paths.push_back(d);
  options.background_heal = false;
  if (adjust) adjust(options);
  auto store = erasure::store::open(std::move(options));
  if (!store) {
    std::string hint;
    if (store.error() == erasure::errc::index_error)
      hint = " (is a kvgate server running on these directories? stop it first)";
    admin_fail(
        verb, fmt::format("cannot open the data directories: {}{}", store.error().message(), hint));
  }
  return std::move(*store);
}

progress_reporter::progress_reporter(std::string verb)
    : verb_(std::move(verb)), tty_(::isatty(STDERR_FILENO) == 1) {}

void progress_reporter::update(std::uint64_t done, std::uint64_t total) {
  if (total == 0) return;
  const int permille = static_cast<int>(done * 1000 / total);
  if (tty_) {
    if (permille == last_step_) return;
    last_step_ = permille;
    constexpr int kWidth = 40;
    const int filled = permille * kWidth / 1000;
    std::fprintf(stderr, "\r%s [%s%s] %5.1f%% %llu/%llu", verb_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(),
                 permille / 10.0, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
    drawn_ = true;
  } else {
    const int step = permille / 50;
    if (step == last_step_ && (done != total || done == last_done_)) return;
    last_done_ = done;
    last_step_ = step;
    std::fprintf(stderr, "{\"verb\":\"%s\",\"done\":%llu,\"total\":%llu}\n", verb_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  }
  std::fflush(stderr);
}

void progress_reporter::finish() {
  if (tty_ && drawn_) std::fputc('\n', stderr);
}

}  // namespace kvgate::cli
