// Server configuration: one option table, three sources, one resolver.
//
// Every option is declared once in config_options() with its TOML key, its
// KVGATE_* environment variable, its command-line flag, its default and its
// unit; docs/configuration.md documents the same table. Sources are read into
// config_layer maps (raw strings plus where each came from) and resolved with
// the precedence flags > environment > TOML file > defaults. Validation happens
// in resolve_config() so a bad value fails start-up with a message that names
// the key and the source that set it, e.g.
//   invalid value for listen (KVGATE_LISTEN): "nohost" is not HOST:PORT
//
// Thread-safety: plain values; the functions are pure except
// layer_from_toml_file() (reads a file).
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kvgate/gateway/cache_config.h"
#include "kvgate/gateway/cluster_config.h"
#include "kvgate/gateway/test_faults_config.h"

namespace kvgate::gateway {

// A HOST:PORT pair as written by the operator. Port 0 asks the kernel for an
// ephemeral port (the ready line prints the port actually bound).
struct listen_address {
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const listen_address&, const listen_address&) = default;
};

// Parses "HOST:PORT" or "[V6]:PORT". Returns false on malformed input.
[[nodiscard]] bool parse_listen_address(std::string_view text, listen_address& out);
std::string to_string(const listen_address& a);
// True when the host is a loopback address or "localhost".
[[nodiscard]] bool is_loopback_host(std::string_view host);

enum class access_log_style { text, json };

struct server_config {
  std::vector<listen_address> listen;            // plaintext HTTP listeners
  std::vector<std::filesystem::path> data_dirs;  // one directory per disk
  std::vector<std::string> domains;              // virtual-hosted-style base domains
  std::vector<listen_address> tls_listen;        // HTTPS listeners
  std::filesystem::path tls_cert_file;
  std::filesystem::path tls_key_file;
  std::string access_key;  // root credentials
  std::string secret_key;
  std::filesystem::path credentials_file;      // more users (read by the S3 layer)
  bool dev_credentials = false;                // no keys configured: use dev ones
  std::filesystem::path dev_credentials_file;  // where dev keys are kept

  std::uint32_t max_connections = 1024;
  std::uint32_t max_header_bytes = 16 * 1024;
  std::uint32_t max_inflight_requests = 256;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds header_timeout{30'000};
  std::chrono::milliseconds body_stall_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{30'000};
  std::uint64_t body_buffer_bytes = 1024 * 1024;
  // RDMA fast path (docs/rdma-protocol.md): the rdma_cm listener, disabled
  // when unset; ACK timeout exponent, staging chunks (1 MiB each) and the
  // idle TTL of sessions.
  std::optional<listen_address> rdma_listen;
  std::uint32_t rdma_ack_timeout = 18;
  std::uint32_t rdma_retry_count = 7;  // RC transport retries after an ACK timeout (0-7)
  std::uint32_t rdma_staging_chunks = 64;
  std::uint32_t rdma_session_ttl_seconds = 600;
  std::uint64_t body_drain_limit_bytes = 1024 * 1024;
  std::uint32_t io_threads = 1;
  std::uint32_t blocking_threads = 2;
  std::string log_level = "info";
  std::string access_log = "stderr";  // off | stdout | stderr | file path
  access_log_style access_log_format = access_log_style::text;
  // ETag of single PUTs and parts in buckets without their own `etag`
  // ([buckets.<name>] in the TOML file): md5 (S3) or xxh3 (cache_config.h).
  etag_style etag = etag_style::md5;
  // Cache tier: capacity, quotas, TTLs, lifecycle pacing (cache_config.h).
  cache_config cache;
  // Scale-out: the cluster map served at /.kvgate/v1/cluster ([cluster] in
  // the TOML file only; cluster_config.h, docs/scaling.md).
  cluster_config cluster;
  // TEST ONLY: disk fault rules ([testing] in the TOML file only), honoured
  // by `kvgate serve --enable-test-faults` alone (test_faults_config.h).
  test_faults_config testing;
};

enum class option_kind { string, string_list, unsigned_integer, milliseconds, bytes };

// One row of the option table.
struct config_option {
  std::string_view key;   // TOML key and canonical name in messages
  std::string_view env;   // environment variable, empty when not settable
  std::string_view flag;  // "--flag", empty when not settable on the command line
  option_kind kind;
  std::string_view default_text;
  std::string_view help;
};

std::span<const config_option> config_options();
const config_option* find_config_option(std::string_view key);

// Raw values from one source. `origin` names the source in error messages
// ("--listen", "KVGATE_LISTEN", "/etc/kvgate.toml: listen").
struct config_value {
  std::vector<std::string> values;
  std::string origin;
};
using config_layer = std::map<std::string, config_value, std::less<>>;

// A failed configuration: which key and a sentence for the operator.
struct config_error {
  // Two arguments on purpose: a lone string must convert to a value, not an error.
  config_error() = default;
  config_error(std::string k, std::string m) : key(std::move(k)), message(std::move(m)) {}
  std::string key;
  std::string message;
};
template <class T>
using config_result = boost::system::result<T, config_error>;

using env_lookup = std::function<const char*(const char*)>;

// Reads every KVGATE_* variable of the table. List options are comma-separated.
[[nodiscard]] config_layer layer_from_env(const env_lookup& getenv);
// Parses TOML text; unknown keys and wrong types are errors. `origin` is the
// file name used in messages.
[[nodiscard]] config_result<config_layer> layer_from_toml(std::string_view text,
                                                          std::string_view origin);
[[nodiscard]] config_result<config_layer> layer_from_toml_file(const std::filesystem::path& file);

// Merges the layers by precedence, parses and validates. `hardware_threads`
// is the default for io_threads (injected so tests are deterministic).
[[nodiscard]] config_result<server_config> resolve_config(const config_layer& flags,
                                                          const config_layer& env,
                                                          const config_layer& file,
                                                          unsigned hardware_threads);

// The whole start-up path: the config file comes from --config (flags layer,
// key "config") or KVGATE_CONFIG, then resolve_config().
[[nodiscard]] config_result<server_config> load_config(const config_layer& flags,
                                                       const env_lookup& getenv,
                                                       unsigned hardware_threads);

}  // namespace kvgate::gateway
