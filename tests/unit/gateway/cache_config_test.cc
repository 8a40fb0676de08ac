// Cache-tier configuration: sizes with units, durations, watermarks, bucket
// tables in the TOML file, precedence and errors that name the key.
#include <catch2/catch.hpp>
#include <string>

#include "kvgate/gateway/config.h"

using namespace kvgate::gateway;

namespace {

config_result<server_config> resolve_toml(std::string_view text, config_layer flags = {}) {
  auto file = layer_from_toml(text, "test.toml");
  if (!file) return file.error();
  return resolve_config(flags, {}, *file, 4);
}

}  // namespace

TEST_CASE("byte sizes accept binary and decimal units") {
  CHECK(parse_byte_size("4096") == 4096u);
  CHECK(parse_byte_size("500GiB") == 500ull << 30);
  CHECK(parse_byte_size("64 MiB") == 64ull << 20);
  CHECK(parse_byte_size("1.5G") == 3ull << 29);
  CHECK(parse_byte_size("10KB") == 10000u);
  CHECK(parse_byte_size("2t") == 2ull << 40);
  CHECK(parse_byte_size("0") == 0u);
  CHECK_FALSE(parse_byte_size(""));
  CHECK_FALSE(parse_byte_size("GiB"));
  CHECK_FALSE(parse_byte_size("1.5"));
  CHECK_FALSE(parse_byte_size("12 parsecs"));
  CHECK_FALSE(parse_byte_size("-5G"));
  CHECK_FALSE(parse_byte_size("99999999999PiB"));
}

TEST_CASE("durations and fractions") {
  CHECK(parse_duration_seconds("90") == 90u);
  CHECK(parse_duration_seconds("15m") == 900u);
  CHECK(parse_duration_seconds("12h") == 43200u);
  CHECK(parse_duration_seconds("7d") == 604800u);
  CHECK_FALSE(parse_duration_seconds("1.5d"));
  CHECK_FALSE(parse_duration_seconds("3w"));
  CHECK(parse_fraction("0.9") == 0.9);
  CHECK(parse_fraction("85%") == 0.85);
  CHECK(parse_fraction("1") == 1.0);
  CHECK_FALSE(parse_fraction("0"));
  CHECK_FALSE(parse_fraction("1.2"));
  CHECK_FALSE(parse_fraction("x"));
}

TEST_CASE("cache settings are unset by default and read from every source") {
  auto none = resolve_config({}, {}, {}, 4);
  REQUIRE(none.has_value());
  CHECK_FALSE(none->cache.max_bytes);
  CHECK_FALSE(none->cache.high_watermark);
  CHECK(none->cache.buckets.empty());
  CHECK(none->cache.lifecycle_interval == std::chrono::seconds(60));
  CHECK(none->cache.lifecycle_day_seconds == 86400u);
  CHECK(none->cache.abandoned_upload_seconds == 7u * 86400u);

  auto c = resolve_toml(R"(
cache_max_bytes = "500GiB"
cache_max_objects = 1000000
cache_high_watermark = 0.95
cache_low_watermark = "85%"
lifecycle_interval_seconds = 5
lifecycle_day_seconds = 2
abandoned_upload_seconds = "2h"

[buckets.models]
quota_bytes = "200GiB"
quota_objects = 5000
no_evict = true
default_ttl = "7d"

[buckets."logs.old"]
default_ttl = 3600
)",
                        {{"cache_max_objects", config_value{{"42"}, "--cache-max-objects"}}});
  REQUIRE(c.has_value());
  CHECK(c->cache.max_bytes == 500ull << 30);
  CHECK(c->cache.max_objects == 42u);  // the flag wins over the file
  CHECK(c->cache.high_watermark == 0.95);
  CHECK(c->cache.low_watermark == 0.85);
  CHECK(c->cache.lifecycle_interval == std::chrono::seconds(5));
  CHECK(c->cache.lifecycle_day_seconds == 2u);
  CHECK(c->cache.abandoned_upload_seconds == 7200u);
  auto never = resolve_toml("abandoned_upload_seconds = 0");
  REQUIRE(never.has_value());
  CHECK(never->cache.abandoned_upload_seconds == 0u);
  REQUIRE(c->cache.buckets.size() == 2);
  const auto& m = c->cache.buckets.at("models");
  CHECK(m.quota_bytes == 200ull << 30);
  CHECK(m.quota_objects == 5000u);
  CHECK(m.no_evict == true);
  CHECK(m.default_ttl_seconds == 604800u);
  const auto& l = c->cache.buckets.at("logs.old");
  CHECK_FALSE(l.quota_bytes);
  CHECK_FALSE(l.no_evict);
  CHECK(l.default_ttl_seconds == 3600u);
}

TEST_CASE("the ETag style is md5 by default, set per server and per bucket") {
  auto none = resolve_config({}, {}, {}, 4);
  REQUIRE(none.has_value());
  CHECK(none->etag == etag_style::md5);
  auto c = resolve_toml(R"(
etag = "md5"

[buckets.segments]
etag = "xxh3"

[buckets.plain]
no_evict = true
)",
                        {{"etag", config_value{{"xxh3"}, "--etag"}}});
  REQUIRE(c.has_value());
  CHECK(c->etag == etag_style::xxh3);  // the flag wins over the file
  CHECK(c->cache.buckets.at("segments").etag == etag_style::xxh3);
  CHECK_FALSE(c->cache.buckets.at("plain").etag);
  CHECK(parse_etag_style("md5") == etag_style::md5);
  CHECK_FALSE(parse_etag_style("MD5"));
}

TEST_CASE("bad cache settings stop start-up naming the key") {
  struct bad {
    std::string toml;
    std::string key;
  };
  for (const auto& [text, key] : std::vector<bad>{
           {"cache_max_bytes = \"lots\"", "cache_max_bytes"},
           {"cache_high_watermark = \"1.5\"", "cache_high_watermark"},
           {"cache_high_watermark = \"0.5\"\ncache_low_watermark = \"0.7\"", "cache_low_watermark"},
           {"lifecycle_interval_seconds = 0", "lifecycle_interval_seconds"},
           {"lifecycle_day_seconds = 0", "lifecycle_day_seconds"},
           {"abandoned_upload_seconds = 30", "abandoned_upload_seconds"},
           {"abandoned_upload_seconds = \"someday\"", "abandoned_upload_seconds"},
           {"[buckets.models]\nquota = 5", "buckets.models.quota"},
           {"[buckets.models]\nno_evict = \"yes\"", "buckets.models.no_evict"},
           {"[buckets.models]\nquota_bytes = \"5 apples\"", "buckets.models.quota_bytes"},
           {"[buckets.models]\ndefault_ttl = \"soon\"", "buckets.models.default_ttl"},
           {"[buckets.models]\netag = \"sha1\"", "buckets.models.etag"},
           {"etag = \"crc32\"", "etag"},
           {"[buckets.Bad_Name]\nno_evict = true", "buckets.Bad_Name"},
           {"buckets = 5", "buckets"},
       }) {
    INFO(text);
    auto c = resolve_toml(text);
    REQUIRE(c.has_error());
    CHECK(c.error().key == key);
    CHECK(c.error().message.find(key) != std::string::npos);
  }
}
