// Option table, layer merging and validation. See config.h and
// docs/configuration.md (which documents this table row by row).
#include "kvgate/gateway/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "cache_config_parse.h"
#include "cluster_config_parse.h"
#include "test_faults_config_parse.h"

namespace kvgate::gateway {
namespace {

constexpr std::string_view kDefaultDataRoot = "./kvgate-data";
constexpr int kDefaultDiskCount = 6;

constexpr std::array kOptions{
    config_option{"listen", "KVGATE_LISTEN", "--listen", option_kind::string_list, "127.0.0.1:9000",
                  "HTTP listen address HOST:PORT (repeatable)"},
    config_option{"data", "KVGATE_DATA", "--data", option_kind::string_list,
                  "./kvgate-data/disk1..disk6", "data directory, one per disk (repeatable)"},
    config_option{"domain", "KVGATE_DOMAIN", "--domain", option_kind::string_list, "",
                  "base domain for virtual-hosted-style requests (repeatable)"},
    config_option{"config", "KVGATE_CONFIG", "--config", option_kind::string, "",
                  "TOML configuration file"},
    config_option{"tls_listen", "KVGATE_TLS_LISTEN", "--tls-listen", option_kind::string_list, "",
                  "HTTPS listen address HOST:PORT (repeatable)"},
    config_option{"tls_cert", "KVGATE_TLS_CERT", "--tls-cert", option_kind::string, "",
                  "PEM certificate chain for HTTPS (reloaded on SIGHUP)"},
    config_option{"tls_key", "KVGATE_TLS_KEY", "--tls-key", option_kind::string, "",
                  "PEM private key for HTTPS (reloaded on SIGHUP)"},
    config_option{"access_key", "KVGATE_ACCESS_KEY", "", option_kind::string, "",
                  "root access key id"},
    config_option{"secret_key", "KVGATE_SECRET_KEY", "", option_kind::string, "",
                  "root secret access key"},
    config_option{"credentials_file", "KVGATE_CREDENTIALS_FILE", "--credentials-file",
                  option_kind::string, "", "file with additional users and grants"},
    config_option{"max_connections", "KVGATE_MAX_CONNECTIONS", "--max-connections",
                  option_kind::unsigned_integer, "1024",
                  "open connections served normally; more get 503 SlowDown"},
    config_option{"max_header_bytes", "KVGATE_MAX_HEADER_BYTES", "--max-header-bytes",
                  option_kind::bytes, "16384", "largest request header section"},
    config_option{"max_inflight_requests", "KVGATE_MAX_INFLIGHT_REQUESTS",
                  "--max-inflight-requests", option_kind::unsigned_integer, "256",
                  "requests handled at once; more get 503 SlowDown"},
    config_option{"idle_timeout_ms", "KVGATE_IDLE_TIMEOUT_MS", "--idle-timeout-ms",
                  option_kind::milliseconds, "60000", "keep-alive idle time before close"},
    config_option{"header_timeout_ms", "KVGATE_HEADER_TIMEOUT_MS", "--header-timeout-ms",
                  option_kind::milliseconds, "30000", "time allowed to receive a header section"},
    config_option{"body_stall_timeout_ms", "KVGATE_BODY_STALL_TIMEOUT_MS",
                  "--body-stall-timeout-ms", option_kind::milliseconds, "30000",
                  "longest wait for progress while reading a body or writing a response"},
    config_option{"shutdown_timeout_ms", "KVGATE_SHUTDOWN_TIMEOUT_MS", "--shutdown-timeout-ms",
                  option_kind::milliseconds, "30000",
                  "how long in-flight requests may finish after SIGTERM/SIGINT"},
    config_option{"body_buffer_bytes", "KVGATE_BODY_BUFFER_BYTES", "--body-buffer-bytes",
                  option_kind::bytes, "1048576", "request body buffer per request"},
    config_option{"body_drain_limit_bytes", "KVGATE_BODY_DRAIN_LIMIT_BYTES",
                  "--body-drain-limit-bytes", option_kind::bytes, "1048576",
                  "unread body drained to keep a connection alive; more closes it"},
    config_option{"io_threads", "KVGATE_IO_THREADS", "--io-threads", option_kind::unsigned_integer,
                  "number of cores", "network threads"},
    config_option{"blocking_threads", "KVGATE_BLOCKING_THREADS", "--blocking-threads",
                  option_kind::unsigned_integer, "2 x cores", "threads for blocking storage calls"},
    config_option{"rdma_listen", "KVGATE_RDMA_LISTEN", "--rdma-listen", option_kind::string, "",
                  "ADDR:PORT of the RDMA (rdma_cm) listener, a numeric address of an RDMA "
                  "netdev; unset = RDMA off"},
    config_option{"rdma_ack_timeout", "KVGATE_RDMA_ACK_TIMEOUT", "--rdma-ack-timeout",
                  option_kind::unsigned_integer, "18",
                  "RDMA ACK timeout exponent (4.096 us x 2^n); 18 for soft-RoCE, 14 on hardware"},
    config_option{"rdma_retry_count", "KVGATE_RDMA_RETRY_COUNT", "--rdma-retry-count",
                  option_kind::unsigned_integer, "7",
                  "RDMA transport retries (0-7) after an ACK timeout before the QP fails"},
    config_option{"rdma_staging_chunks", "KVGATE_RDMA_STAGING_CHUNKS", "--rdma-staging-chunks",
                  option_kind::unsigned_integer, "64", "registered 1 MiB RDMA staging chunks"},
    config_option{"rdma_session_ttl_seconds", "KVGATE_RDMA_SESSION_TTL_SECONDS",
                  "--rdma-session-ttl-seconds", option_kind::unsigned_integer, "600",
                  "idle time after which an RDMA session expires"},
    config_option{"log_level", "KVGATE_LOG_LEVEL", "--log-level", option_kind::string, "info",
                  "trace | debug | info | warn | error | critical | off"},
    config_option{"access_log", "KVGATE_ACCESS_LOG", "--access-log", option_kind::string, "stderr",
                  "off | stdout | stderr | FILE"},
    config_option{"access_log_format", "KVGATE_ACCESS_LOG_FORMAT", "--access-log-format",
                  option_kind::string, "text", "text | json"},
    config_option{"etag", "KVGATE_ETAG", "--etag", option_kind::string, "md5",
                  "md5 | xxh3: the ETag of PUTs and parts (xxh3: opaque, no MD5 of the body; "
                  "Content-MD5 requests still get MD5)"},
    config_option{"cache_max_bytes", "KVGATE_CACHE_MAX_BYTES", "--cache-max-bytes",
                  option_kind::bytes, "0 (unlimited)",
                  "node capacity in logical object bytes, e.g. 500GiB; LRU objects are evicted"},
    config_option{"cache_max_objects", "KVGATE_CACHE_MAX_OBJECTS", "--cache-max-objects",
                  option_kind::unsigned_integer, "0 (unlimited)", "node limit on stored objects"},
    config_option{"cache_high_watermark", "KVGATE_CACHE_HIGH_WATERMARK", "--cache-high-watermark",
                  option_kind::string, "0.90", "usage fraction of a limit that starts eviction"},
    config_option{"cache_low_watermark", "KVGATE_CACHE_LOW_WATERMARK", "--cache-low-watermark",
                  option_kind::string, "0.80", "usage fraction eviction brings a scope down to"},
    config_option{"lifecycle_interval_seconds", "KVGATE_LIFECYCLE_INTERVAL_SECONDS",
                  "--lifecycle-interval-seconds", option_kind::unsigned_integer, "60",
                  "time between passes of the lifecycle/TTL worker"},
    config_option{"lifecycle_batch", "KVGATE_LIFECYCLE_BATCH", "--lifecycle-batch",
                  option_kind::unsigned_integer, "1000",
                  "objects and uploads the lifecycle worker examines per pass"},
    config_option{"abandoned_upload_seconds", "KVGATE_ABANDONED_UPLOAD_SECONDS",
                  "--abandoned-upload-seconds", option_kind::string, "7d",
                  "multipart uploads older than this are aborted in every bucket (0: never)"},
    config_option{"lifecycle_day_seconds", "KVGATE_LIFECYCLE_DAY_SECONDS", "",
                  option_kind::unsigned_integer, "86400",
                  "TEST ONLY: length of a lifecycle day (Days, DaysAfterInitiation)"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

config_error invalid(const config_value& v, std::string_view key, std::string_view why) {
  return {std::string(key), fmt::format("invalid value for {} ({}): {}", key, v.origin, why)};
}

// The effective value of one key: the first layer that has it.
const config_value* pick(std::string_view key, std::initializer_list<const config_layer*> layers) {
  for (const config_layer* layer : layers) {
    if (auto it = layer->find(key); it != layer->end()) return &it->second;
  }
  return nullptr;
}

config_result<std::uint64_t> parse_unsigned(const config_value& v, std::string_view key,
                                            std::uint64_t min, std::uint64_t max) {
  if (v.values.size() != 1) return invalid(v, key, "expected exactly one value");
  std::string_view text = trim(v.values.front());
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return invalid(v, key, fmt::format("\"{}\" is not a non-negative integer", text));
  }
  if (n < min || n > max) {
    return invalid(v, key, fmt::format("{} is outside [{}, {}]", n, min, max));
  }
  return n;
}

config_result<std::string> parse_single(const config_value& v, std::string_view key) {
  if (v.values.size() != 1) return invalid(v, key, "expected exactly one value");
  return v.values.front();
}

config_result<std::vector<listen_address>> parse_addresses(const config_value& v,
                                                           std::string_view key) {
  std::vector<listen_address> out;
  for (const auto& text : v.values) {
    listen_address a;
    if (!parse_listen_address(text, a)) {
      return invalid(v, key, fmt::format("\"{}\" is not HOST:PORT", text));
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

bool parse_listen_address(std::string_view text, listen_address& out) {
  text = trim(text);
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // bare IPv6 needs brackets
  }
  if (host.empty() || port.empty()) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) return false;
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

std::string to_string(const listen_address& a) {
  if (a.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", a.host, a.port);
  return fmt::format("{}:{}", a.host, a.port);
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

std::span<const config_option> config_options() {
  return kOptions;
}

const config_option* find_config_option(std::string_view key) {
  for (const auto& o : kOptions) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

config_layer layer_from_env(const env_lookup& getenv) {
  config_layer layer;
  for (const auto& o : kOptions) {
    if (o.env.empty()) continue;
    const char* raw = getenv(std::string(o.env).c_str());
    if (raw == nullptr) continue;
    config_value v{{}, std::string(o.env)};
    std::string_view text = raw;
    if (o.kind == option_kind::string_list) {
      while (!text.empty()) {
        auto comma = text.find(',');
        auto item = trim(text.substr(0, comma));
        if (!item.empty()) v.values.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
      }
    } else {
      v.values.emplace_back(text);
    }
    layer.emplace(std::string(o.key), std::move(v));
  }
  return layer;
}

config_result<config_layer> layer_from_toml(std::string_view text, std::string_view origin) {
  toml::table parsed;
  try {
    parsed = toml::parse(text, origin);
  } catch (const toml::parse_error& err) {
    return config_error{"config", fmt::format("cannot parse configuration file {} (line {}): {}",
                                              origin, err.source().begin.line, err.description())};
  }
  config_layer layer;
  for (const auto& [k, node] : parsed) {
    std::string_view key = k.str();
    if (key == kBucketTablesKey) {
      if (auto r = add_bucket_tables(node, origin, layer); !r) return r.error();
      continue;
    }
    if (key == kClusterTableKey) {
      if (auto r = add_cluster_table(node, origin, layer); !r) return r.error();
      continue;
    }
    if (key == kTestingTableKey) {
      if (auto r = add_testing_table(node, origin, layer); !r) return r.error();
      continue;
    }
    const config_option* o = find_config_option(key);
    if (o == nullptr || key == "config") {
      return config_error{std::string(key),
                          fmt::format("unknown configuration key {} in {}", key, origin)};
    }
    config_value v{{}, fmt::format("{}: {}", origin, key)};
    auto scalar = [&](const toml::node& n) -> bool {
      if (auto s = n.value<std::string>(); s && n.is_string()) {
        v.values.push_back(*s);
      } else if (auto i = n.value<std::int64_t>(); i && n.is_integer()) {
        v.values.push_back(std::to_string(*i));
      } else if (auto f = n.value<double>(); f && n.is_floating_point()) {
        v.values.push_back(fmt::format("{}", *f));  // cache_*_watermark = 0.9
      } else {
        return false;
      }
      return true;
    };
    bool ok = true;
    if (const toml::array* arr = node.as_array()) {
      ok = o->kind == option_kind::string_list;
      for (const auto& item : *arr) ok = ok && scalar(item);
    } else {
      ok = scalar(node);
    }
    if (!ok) {
      return config_error{std::string(key),
                          fmt::format("invalid value for {} ({}): wrong type", key, v.origin)};
    }
    layer.emplace(std::string(key), std::move(v));
  }
  return layer;
}

config_result<config_layer> layer_from_toml_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return config_error{"config", fmt::format("cannot read configuration file {}", file.string())};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return layer_from_toml(text.str(), file.string());
}

config_result<server_config> resolve_config(const config_layer& flags, const config_layer& env,
                                            const config_layer& file, unsigned hardware_threads) {
  server_config c;
  const unsigned cores = std::max(1u, hardware_threads);
  c.io_threads = cores;
  c.blocking_threads = std::max(2u, 2 * cores);
  auto get = [&](std::string_view key) { return pick(key, {&flags, &env, &file}); };

  if (const auto* v = get("listen")) {
    auto r = parse_addresses(*v, "listen");
    if (!r) return r.error();
    c.listen = std::move(*r);
  } else {
    c.listen = {{"127.0.0.1", 9000}};
  }
  if (const auto* v = get("tls_listen")) {
    auto r = parse_addresses(*v, "tls_listen");
    if (!r) return r.error();
    c.tls_listen = std::move(*r);
  }
  if (c.listen.empty() && c.tls_listen.empty()) {
    return config_error{"listen", "invalid value for listen: no listen address configured"};
  }
  std::filesystem::path data_root = kDefaultDataRoot;
  if (const auto* v = get("data")) {
    if (v->values.empty()) return invalid(*v, "data", "no data directory given");
    for (const auto& d : v->values) {
      if (d.empty()) return invalid(*v, "data", "empty directory name");
      c.data_dirs.emplace_back(d);
    }
    data_root = c.data_dirs.front().lexically_normal().parent_path();
    if (data_root.empty()) data_root = ".";
  } else {
    for (int i = 1; i <= kDefaultDiskCount; ++i) {
      c.data_dirs.push_back(std::filesystem::path(kDefaultDataRoot) / fmt::format("disk{}", i));
    }
  }
  if (const auto* v = get("domain")) c.domains = v->values;

  for (auto [key, field] :
       {std::pair{"tls_cert", &c.tls_cert_file}, std::pair{"tls_key", &c.tls_key_file},
        std::pair{"credentials_file", &c.credentials_file}}) {
    if (const auto* v = get(key)) {
      auto r = parse_single(*v, key);
      if (!r) return r.error();
      *field = *r;
    }
  }
  if (!c.tls_listen.empty() && (c.tls_cert_file.empty() || c.tls_key_file.empty())) {
    return config_error{"tls_cert",
                        "invalid value for tls_cert: tls_listen needs both tls_cert and tls_key"};
  }
  for (auto [key, field] :
       {std::pair{"access_key", &c.access_key}, std::pair{"secret_key", &c.secret_key}}) {
    if (const auto* v = get(key)) {
      auto r = parse_single(*v, key);
      if (!r) return r.error();
      if (r->empty()) return invalid(*v, key, "must not be empty");
      *field = *r;
    }
  }
  if (c.access_key.empty() != c.secret_key.empty()) {
    const char* missing = c.access_key.empty() ? "access_key" : "secret_key";
    return config_error{missing,
                        fmt::format("invalid value for {} (KVGATE_ACCESS_KEY/KVGATE_SECRET_KEY): "
                                    "access key and secret key must be set together",
                                    missing)};
  }
  if (c.access_key.empty()) {
    c.dev_credentials = true;
    c.dev_credentials_file = data_root / "dev-credentials";
    for (const auto* list : {&c.listen, &c.tls_listen}) {
      for (const auto& a : *list) {
        if (!is_loopback_host(a.host)) {
          return config_error{
              "access_key",
              fmt::format("refusing to listen on non-loopback address {} with development "
                          "credentials: set KVGATE_ACCESS_KEY and KVGATE_SECRET_KEY "
                          "(or access_key/secret_key in the configuration file)",
                          to_string(a))};
        }
      }
    }
  }

  constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();
  constexpr std::uint64_t kDay = 24ull * 3600 * 1000;
  struct numeric {
    const char* key;
    std::uint64_t min;
    std::uint64_t max;
    std::function<void(std::uint64_t)> set;
  };
  const numeric numerics[] = {
      {"max_connections", 1, kU32,
       [&](auto n) { c.max_connections = static_cast<std::uint32_t>(n); }},
      {"max_header_bytes", 1024, 1024 * 1024,
       [&](auto n) { c.max_header_bytes = static_cast<std::uint32_t>(n); }},
      {"max_inflight_requests", 1, kU32,
       [&](auto n) { c.max_inflight_requests = static_cast<std::uint32_t>(n); }},
      {"idle_timeout_ms", 1, kDay, [&](auto n) { c.idle_timeout = std::chrono::milliseconds(n); }},
      {"header_timeout_ms", 1, kDay,
       [&](auto n) { c.header_timeout = std::chrono::milliseconds(n); }},
      {"body_stall_timeout_ms", 1, kDay,
       [&](auto n) { c.body_stall_timeout = std::chrono::milliseconds(n); }},
      {"shutdown_timeout_ms", 0, kDay,
       [&](auto n) { c.shutdown_timeout = std::chrono::milliseconds(n); }},
      {"body_buffer_bytes", 4096, 1ull << 30, [&](auto n) { c.body_buffer_bytes = n; }},
      {"body_drain_limit_bytes", 0, 1ull << 34, [&](auto n) { c.body_drain_limit_bytes = n; }},
      {"io_threads", 1, 1024, [&](auto n) { c.io_threads = static_cast<std::uint32_t>(n); }},
      {"blocking_threads", 1, 4096,
       [&](auto n) { c.blocking_threads = static_cast<std::uint32_t>(n); }},
      {"rdma_ack_timeout", 1, 31,
       [&](auto n) { c.rdma_ack_timeout = static_cast<std::uint32_t>(n); }},
      {"rdma_retry_count", 0, 7,
       [&](auto n) { c.rdma_retry_count = static_cast<std::uint32_t>(n); }},
      {"rdma_staging_chunks", 1, 4096,
       [&](auto n) { c.rdma_staging_chunks = static_cast<std::uint32_t>(n); }},
      {"rdma_session_ttl_seconds", 1, 86400,
       [&](auto n) { c.rdma_session_ttl_seconds = static_cast<std::uint32_t>(n); }},
  };
  for (const auto& n : numerics) {
    if (const auto* v = get(n.key)) {
      auto r = parse_unsigned(*v, n.key, n.min, n.max);
      if (!r) return r.error();
      n.set(*r);
    }
  }

  if (const auto* v = get("rdma_listen")) {
    auto r = parse_single(*v, "rdma_listen");
    if (!r) return r.error();
    listen_address a;
    if (!parse_listen_address(*r, a) || a.port == 0) {
      return invalid(*v, "rdma_listen", fmt::format("\"{}\" is not ADDR:PORT", *r));
    }
    c.rdma_listen = a;
  }
  if (const auto* v = get("log_level")) {
    auto r = parse_single(*v, "log_level");
    if (!r) return r.error();
    static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                   "error", "critical", "off"};
    if (std::find(std::begin(kLevels), std::end(kLevels), *r) == std::end(kLevels)) {
      return invalid(*v, "log_level", fmt::format("\"{}\" is not a log level", *r));
    }
    c.log_level = *r;
  }
  if (const auto* v = get("access_log")) {
    auto r = parse_single(*v, "access_log");
    if (!r) return r.error();
    if (r->empty()) return invalid(*v, "access_log", "must not be empty");
    c.access_log = *r;
  }
  if (const auto* v = get("access_log_format")) {
    auto r = parse_single(*v, "access_log_format");
    if (!r) return r.error();
    if (*r == "text") {
      c.access_log_format = access_log_style::text;
    } else if (*r == "json") {
      c.access_log_format = access_log_style::json;
    } else {
      return invalid(*v, "access_log_format", fmt::format("\"{}\" is not text or json", *r));
    }
  }
  if (const auto* v = get("etag")) {
    auto r = parse_single(*v, "etag");
    if (!r) return r.error();
    auto style = parse_etag_style(*r);
    if (!style) return invalid(*v, "etag", fmt::format("\"{}\" is not md5 or xxh3", *r));
    c.etag = *style;
  }
  if (auto r = resolve_cache_config(get, file, c.cache); !r) return r.error();
  if (auto r = resolve_cluster_config(file, c.cluster); !r) return r.error();
  if (auto r = resolve_testing_config(file, c.data_dirs.size(), c.testing); !r) return r.error();
  return c;
}

config_result<server_config> load_config(const config_layer& flags, const env_lookup& getenv,
                                         unsigned hardware_threads) {
  config_layer env = layer_from_env(getenv);
  config_layer file;
  if (const auto* v = pick("config", {&flags, &env})) {
    auto path = parse_single(*v, "config");
    if (!path) return path.error();
    auto r = layer_from_toml_file(*path);
    if (!r) return r.error();
    file = std::move(*r);
  }
  return resolve_config(flags, env, file, hardware_threads);
}

}  // namespace kvgate::gateway
