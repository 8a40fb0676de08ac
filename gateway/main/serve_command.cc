// `kvgate serve`: resolve configuration, bind, print the ready line, serve
// until SIGTERM/SIGINT.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "commands.h"
#include "kvgate/gateway/config.h"
#include "kvgate/gateway/dev_credentials.h"
#include "kvgate/gateway/http_server.h"
#include "malloc_tuning.h"
#include "s3_handler_factory.h"
#include "test_disk_faults.h"

namespace kvgate::cli {
namespace {

namespace gw = kvgate::gateway;

struct serve_options {
  // Raw flag values keyed by option; only flags actually given form the layer.
  std::map<std::string, std::vector<std::string>, std::less<>> values;
  std::map<std::string, CLI::Option*, std::less<>> options;
  bool enable_test_faults = false;  // TEST ONLY: honour [testing] (test_disk_faults.h)
};

[[noreturn]] void fail(std::string_view message) {
  std::cerr << "kvgate serve: " << message << std::endl;
  throw CLI::RuntimeError(2);
}

// SIGHUP (docs/operations.md): re-reads the configuration (same flags, the
// file again) and applies what can change at run time: the log level, the
// users (credentials file, root keys unless they are development ones) and
// the cache settings (limits, watermarks, [buckets.<name>] quotas, no-evict,
// default TTL) and the cluster map ([cluster], docs/scaling.md "Changing the
// map"). Any error keeps everything as it was and says why: the cache
// settings are checked before anything is applied; a refused map change
// keeps only the running map.
template <class Load>
void reload_settings(const Load& load, const s3_frontend& frontend,
                     const std::optional<gw::credentials>& dev_root) {
  auto fresh = load();
  if (!fresh) {
    spdlog::error("SIGHUP: configuration invalid, keeping the running settings: {}",
                  fresh.error().message);
    return;
  }
  if (!dev_root && fresh->dev_credentials) {
    spdlog::error(
        "SIGHUP: the configuration no longer sets root credentials, keeping the running "
        "settings");
    return;
  }
  if (auto r = frontend.check_cache(fresh->cache); !r) {
    spdlog::error("SIGHUP: cache settings invalid, keeping the running settings: {}", r.error());
    return;
  }
  const gw::credentials root =
      dev_root ? *dev_root : gw::credentials{fresh->access_key, fresh->secret_key};
  if (auto r = frontend.reload_users(root, fresh->credentials_file); !r) {
    spdlog::error("SIGHUP: users not reloaded, keeping the running ones: {}", r.error());
    return;
  }
  spdlog::default_logger()->set_level(spdlog::level::from_str(fresh->log_level));
  spdlog::info("SIGHUP: users{} and log level ({}) reloaded",
               fresh->credentials_file.empty() ? "" : " from " + fresh->credentials_file.string(),
               fresh->log_level);
  if (auto r = frontend.reload_cache(fresh->cache); r) {
    spdlog::info("SIGHUP: cache settings reloaded: {}", *r);
  } else {
    spdlog::error("SIGHUP: cache settings not reloaded, keeping the running ones: {}", r.error());
  }
  if (auto r = frontend.reload_cluster(fresh->cluster); r) {
    // A new map is a warning: clients still routing with the old one get 421.
    if (r->changed)
      spdlog::warn("SIGHUP: cluster map reloaded: {}", r->summary);
    else
      spdlog::info("SIGHUP: cluster map: {}", r->summary);
  } else {
    spdlog::error("SIGHUP: cluster map not reloaded, keeping the running one: {}", r.error());
  }
}

void run_serve(const serve_options& opts) {
  gw::config_layer flags;
  for (const auto& [key, opt] : opts.options) {
    if (opt->count() == 0) continue;
    flags.emplace(key, gw::config_value{opts.values.at(key), std::string(opt->get_name())});
  }
  auto load = [flags] {
    return gw::load_config(
        flags, [](const char* name) { return std::getenv(name); },
        std::max(1u, std::thread::hardware_concurrency()));
  };
  auto config = load();
  if (!config) fail(config.error().message);

  auto level = spdlog::level::from_str(config->log_level);
  auto logger =
      std::make_shared<spdlog::logger>("kvgate", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  spdlog::info("{}", bound_freed_memory_retention());

  gw::credentials root{config->access_key, config->secret_key};
  if (config->dev_credentials) {
    auto dev = gw::load_or_create_dev_credentials(config->dev_credentials_file);
    if (!dev) fail(dev.error());
    root = *dev;
    std::cout << fmt::format("dev credentials: access key {}, secret key {} (stored in {})\n",
                             root.access_key, root.secret_key,
                             config->dev_credentials_file.string());
  }
  for (const auto& dir : config->data_dirs) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) fail(fmt::format("cannot create data directory {}: {}", dir.string(), ec.message()));
  }

  std::shared_ptr<test_disk_faults> faults;
  if (config->testing.present && !opts.enable_test_faults)
    fail(
        "the configuration has a [testing] table (test-only disk faults): refused without "
        "--enable-test-faults");
  if (opts.enable_test_faults) {
    auto wrapped = test_disk_faults::open(*config);
    if (!wrapped) fail(wrapped.error());
    faults = std::move(*wrapped);
    spdlog::warn(
        "TEST ONLY: --enable-test-faults: every disk is wrapped in a fault injector, NEVER use "
        "this in production; faults: {}",
        faults->apply(config->testing));
  }

  auto server = gw::http_server::create(*config);
  if (!server) fail(server.error());
  auto frontend =
      make_s3_frontend(*config, root, (*server)->blocking_pool(),
                       faults ? faults->disks() : std::vector<std::shared_ptr<erasure::disk>>{});
  if (!frontend) fail(frontend.error());
  frontend->register_metrics((*server)->metrics());
  frontend->hooks.reload = [&load, &frontend, root, dev = config->dev_credentials, faults] {
    reload_settings(load, *frontend, dev ? std::optional(root) : std::nullopt);
    if (!faults) return;
    if (auto fresh = load(); fresh)
      spdlog::warn("SIGHUP: TEST ONLY disk faults now: {}", faults->apply(fresh->testing));
  };

  (*server)->run(*frontend->handler, frontend->hooks, [&] {
    for (const auto& url : (*server)->urls()) std::cout << "kvgate ready on " << url << "\n";
    std::cout.flush();
  });
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto opts = std::make_shared<serve_options>();
  CLI::App* serve = app.add_subcommand("serve", "run the S3 gateway");
  for (const auto& o : gw::config_options()) {
    if (o.flag.empty()) continue;
    const std::string key(o.key);
    auto& storage = opts->values[key];
    std::string help(o.help);
    if (!o.default_text.empty()) help += fmt::format(" [default: {}]", o.default_text);
    if (!o.env.empty()) help += fmt::format(" [env: {}]", o.env);
    CLI::Option* opt = serve->add_option(std::string(o.flag), storage, help);
    if (o.kind != gw::option_kind::string_list)
      opt->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    opts->options[key] = opt;
  }
  serve->add_flag("--enable-test-faults", opts->enable_test_faults,
                  "TEST ONLY: wrap the disks in a fault injector and apply the [testing] table "
                  "of the configuration file (docs/configuration.md); never in production");
  serve->callback([opts] { run_serve(*opts); });
}

}  // namespace kvgate::cli
