#include "kvgate/gateway/config.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

using namespace kvgate::gateway;

namespace {

struct fake_env {
  std::map<std::string, std::string> vars;
  env_lookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

config_layer flag_layer(
    std::initializer_list<std::pair<std::string, std::vector<std::string>>> kv) {
  config_layer layer;
  for (const auto& [k, v] : kv) layer.emplace(k, config_value{v, "--" + k});
  return layer;
}

config_layer toml_layer(std::string_view text) {
  auto r = layer_from_toml(text, "test.toml");
  REQUIRE(r.has_value());
  return *r;
}

config_result<server_config> resolve(const config_layer& flags, const fake_env& env,
                                     const config_layer& file) {
  return resolve_config(flags, layer_from_env(env.lookup()), file, 4);
}

}  // namespace

TEST_CASE("no configuration gives the embedded development defaults") {
  auto c = resolve({}, {}, {});
  REQUIRE(c.has_value());
  REQUIRE(c->listen == std::vector<listen_address>{{"127.0.0.1", 9000}});
  REQUIRE(c->data_dirs.size() == 6);
  CHECK(c->data_dirs.front() == std::filesystem::path("./kvgate-data/disk1"));
  CHECK(c->data_dirs.back() == std::filesystem::path("./kvgate-data/disk6"));
  CHECK(c->dev_credentials);
  CHECK(c->dev_credentials_file == std::filesystem::path("./kvgate-data/dev-credentials"));
  CHECK(c->max_header_bytes == 16 * 1024);
  CHECK(c->body_buffer_bytes == 1024 * 1024);
  CHECK(c->io_threads == 4);
  CHECK(c->access_log_format == access_log_style::text);
}

TEST_CASE("flags override environment which overrides the file") {
  fake_env env{{{"KVGATE_LISTEN", "127.0.0.1:9100"}, {"KVGATE_MAX_CONNECTIONS", "50"}}};
  auto file = toml_layer(
      "listen = ['127.0.0.1:9200']\nmax_connections = 60\nmax_inflight_requests = 70\n"
      "idle_timeout_ms = 1234\n");
  auto flags = flag_layer({{"listen", {"127.0.0.1:9300", "[::1]:9301"}}});
  auto c = resolve(flags, env, file);
  REQUIRE(c.has_value());
  CHECK(c->listen == std::vector<listen_address>{{"127.0.0.1", 9300}, {"::1", 9301}});
  CHECK(c->max_connections == 50);
  CHECK(c->max_inflight_requests == 70);
  CHECK(c->idle_timeout == std::chrono::milliseconds(1234));
}

TEST_CASE("list options from the environment are comma separated") {
  fake_env env{{{"KVGATE_DATA", "/d/a, /d/b,/d/c"}, {"KVGATE_DOMAIN", "s3.local"}}};
  auto c = resolve({}, env, {});
  REQUIRE(c.has_value());
  REQUIRE(c->data_dirs.size() == 3);
  CHECK(c->data_dirs[1] == std::filesystem::path("/d/b"));
  CHECK(c->domains == std::vector<std::string>{"s3.local"});
  CHECK(c->dev_credentials_file == std::filesystem::path("/d/dev-credentials"));
}

TEST_CASE("a malformed listen address names the key and its source") {
  fake_env env{{{"KVGATE_LISTEN", "nohost"}}};
  auto c = resolve({}, env, {});
  REQUIRE(c.has_error());
  CHECK(c.error().key == "listen");
  CHECK(c.error().message.find("invalid value for listen (KVGATE_LISTEN)") == 0);
}

TEST_CASE("a bad number from a flag names the flag") {
  auto c = resolve(flag_layer({{"max_header_bytes", {"12x"}}}), {}, {});
  REQUIRE(c.has_error());
  CHECK(c.error().message.find("invalid value for max_header_bytes (--max_header_bytes)") == 0);
}

TEST_CASE("out of range values are rejected") {
  auto c = resolve(flag_layer({{"max_header_bytes", {"10"}}}), {}, {});
  REQUIRE(c.has_error());
  CHECK(c.error().key == "max_header_bytes");
}

TEST_CASE("development credentials are refused on a non-loopback address") {
  auto c = resolve(flag_layer({{"listen", {"0.0.0.0:9000"}}}), {}, {});
  REQUIRE(c.has_error());
  CHECK(c.error().key == "access_key");
  CHECK(c.error().message.find("0.0.0.0:9000") != std::string::npos);
}

TEST_CASE("configured credentials allow a non-loopback address") {
  fake_env env{{{"KVGATE_ACCESS_KEY", "AK"}, {"KVGATE_SECRET_KEY", "SK"}}};
  auto c = resolve(flag_layer({{"listen", {"0.0.0.0:9000"}}}), env, {});
  REQUIRE(c.has_value());
  CHECK_FALSE(c->dev_credentials);
  CHECK(c->access_key == "AK");
  CHECK(c->secret_key == "SK");
}

TEST_CASE("an access key without a secret key is an error") {
  fake_env env{{{"KVGATE_ACCESS_KEY", "AK"}}};
  auto c = resolve({}, env, {});
  REQUIRE(c.has_error());
  CHECK(c.error().key == "secret_key");
}

TEST_CASE("tls_listen requires a certificate and a key") {
  auto c = resolve(flag_layer({{"tls_listen", {"127.0.0.1:9443"}}}), {}, {});
  REQUIRE(c.has_error());
  CHECK(c.error().key == "tls_cert");
}

TEST_CASE("unknown keys in the configuration file are errors") {
  auto r = layer_from_toml("listne = '127.0.0.1:1'\n", "k.toml");
  REQUIRE(r.has_error());
  CHECK(r.error().message.find("listne") != std::string::npos);
}

TEST_CASE("wrong value types in the configuration file are errors") {
  auto r = layer_from_toml("max_connections = [1, 2]\n", "k.toml");
  REQUIRE(r.has_error());
  CHECK(r.error().key == "max_connections");
}

TEST_CASE("a syntax error in the configuration file reports the line") {
  auto r = layer_from_toml("listen = \n", "k.toml");
  REQUIRE(r.has_error());
  CHECK(r.error().message.find("line 1") != std::string::npos);
}

TEST_CASE("log level and access log format are validated") {
  CHECK(resolve(flag_layer({{"log_level", {"loud"}}}), {}, {}).has_error());
  CHECK(resolve(flag_layer({{"access_log_format", {"xml"}}}), {}, {}).has_error());
  auto c = resolve(flag_layer({{"access_log_format", {"json"}}}), {}, {});
  REQUIRE(c.has_value());
  CHECK(c->access_log_format == access_log_style::json);
}

TEST_CASE("listen addresses parse host, bracketed IPv6 and port") {
  listen_address a;
  REQUIRE(parse_listen_address("localhost:80", a));
  CHECK(a == listen_address{"localhost", 80});
  REQUIRE(parse_listen_address("[::1]:0", a));
  CHECK(a == listen_address{"::1", 0});
  CHECK(to_string(a) == "[::1]:0");
  CHECK_FALSE(parse_listen_address("::1:80", a));
  CHECK_FALSE(parse_listen_address("host:", a));
  CHECK_FALSE(parse_listen_address("host:65536", a));
  CHECK_FALSE(parse_listen_address(":80", a));
}

TEST_CASE("loopback detection accepts localhost and loopback addresses only") {
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
  CHECK_FALSE(is_loopback_host("example.com"));
}

TEST_CASE("every option has a TOML key and an environment variable or flag") {
  for (const auto& o : config_options()) {
    INFO(o.key);
    CHECK(!o.key.empty());
    CHECK((!o.env.empty() || !o.flag.empty()));
    if (!o.env.empty()) CHECK(o.env.starts_with("KVGATE_"));
  }
}

TEST_CASE("RDMA is off unless rdma_listen names an address and a port") {
  auto off = resolve({}, {}, {});
  REQUIRE(off.has_value());
  CHECK_FALSE(off->rdma_listen);
  CHECK(off->rdma_ack_timeout == 18);
  CHECK(off->rdma_retry_count == 7);
  CHECK(off->rdma_staging_chunks == 64);

  fake_env env{{{"KVGATE_RDMA_LISTEN", "192.0.2.1:7471"}, {"KVGATE_RDMA_ACK_TIMEOUT", "14"}}};
  auto on = resolve(flag_layer({{"rdma_retry_count", {"3"}}}), env,
                    toml_layer("rdma_staging_chunks = 8\n"));
  REQUIRE(on.has_value());
  REQUIRE(on->rdma_listen);
  CHECK(on->rdma_listen->host == "192.0.2.1");
  CHECK(on->rdma_listen->port == 7471);
  CHECK(on->rdma_ack_timeout == 14);
  CHECK(on->rdma_retry_count == 3);
  CHECK(on->rdma_staging_chunks == 8);
}

TEST_CASE("a malformed or out-of-range RDMA setting names its key") {
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"rdma_listen", "192.0.2.1"},
                                                        {"rdma_listen", "192.0.2.1:0"},
                                                        {"rdma_ack_timeout", "32"},
                                                        {"rdma_retry_count", "8"},
                                                        {"rdma_staging_chunks", "0"}}) {
    auto c = resolve(flag_layer({{key, {value}}}), {}, {});
    INFO(key << " = " << value);
    REQUIRE(c.has_error());
    CHECK(c.error().key == key);
  }
}
