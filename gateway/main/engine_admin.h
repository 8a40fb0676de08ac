// Shared plumbing of the engine admin verbs (info, heal, scrub, verify,
// reindex): which data directories to open (the same --data / --config /
// KVGATE_* resolution as `kvgate serve`), opening the store offline, and
// progress reporting for long operations.
//
// Offline verbs open the data directories themselves; the index's lock makes
// them fail cleanly (with a hint) while a server runs on the same data.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/erasure/store.h"
#include "kvgate/gateway/config.h"

namespace kvgate::cli {

struct admin_target {
  std::vector<std::string> data;
  std::string config;
  bool json = false;
};

// Adds --data, --config and --json to an admin subcommand.
void add_target_options(CLI::App& cmd, admin_target& target);

// The configuration an admin verb works with (--data / --config over the
// KVGATE_* environment, as `kvgate serve` resolves it); prints why and throws
// CLI::RuntimeError when it is invalid.
gateway::server_config load_config_or_fail(const admin_target& target, std::string_view verb);

// Opens the store for an admin verb; prints why and throws CLI::RuntimeError on failure.
// `adjust` may change the options before the store opens (e.g. no background eviction).
std::unique_ptr<erasure::store> open_store_or_fail(
    const admin_target& target, std::string_view verb,
    const std::function<void(erasure::store_options&)>& adjust = {});

[[noreturn]] void admin_fail(std::string_view verb, std::string_view message, int code = 2);

// Progress of a long operation: a bar on a terminal (stderr), otherwise one
// JSON line per 5% step on stderr ({"verb":..,"done":..,"total":..}).
class progress_reporter {
 public:
  explicit progress_reporter(std::string verb);
  void update(std::uint64_t done, std::uint64_t total);
  void finish();

 private:
  std::string verb_;
  bool tty_;
  int last_step_ = -1;
  std::uint64_t last_done_ = 0;  // the end is printed once however often it is polled
  bool drawn_ = false;
};

}  // namespace kvgate::cli
