// store::get_setting / put_setting: values survive a restart and a reindex,
// deletes work, and delete_bucket() drops the bucket's own settings only.
#include "store_fixture.h"

using namespace kvgate::test;

TEST_CASE("settings persist across restart and reindex", "[settings]") {
  store_fixture fx;
  auto& s = fx.store();
  REQUIRE(s.get_setting("kvgate/capacity").value() == std::nullopt);
  REQUIRE(s.put_setting("kvgate/capacity", std::string_view("{\"max_bytes\":5}")));
  REQUIRE(s.get_setting("kvgate/capacity").value() ==
          std::optional<std::string>("{\"max_bytes\":5}"));
  fx.reopen();
  REQUIRE(fx.store().get_setting("kvgate/capacity").value() ==
          std::optional<std::string>("{\"max_bytes\":5}"));
  REQUIRE(fx.store().reindex({}));
  REQUIRE(fx.store().get_setting("kvgate/capacity").value() ==
          std::optional<std::string>("{\"max_bytes\":5}"));
  REQUIRE(fx.store().put_setting("kvgate/capacity", std::nullopt));
  REQUIRE(fx.store().get_setting("kvgate/capacity").value() == std::nullopt);
  REQUIRE(fx.store().get_setting("").error() == er::errc::invalid_argument);
}

TEST_CASE("delete_bucket drops only that bucket's settings", "[settings]") {
  store_fixture fx;
  auto& s = fx.store();
  REQUIRE(s.create_bucket("logs", "root"));
  REQUIRE(s.create_bucket("logs.old", "root"));
  REQUIRE(s.put_setting(er::bucket_setting_prefix("logs") + "lifecycle", std::string_view("a")));
  REQUIRE(
      s.put_setting(er::bucket_setting_prefix("logs.old") + "lifecycle", std::string_view("b")));
  REQUIRE(s.delete_bucket("logs"));
  REQUIRE(s.get_setting("bucket/logs/lifecycle").value() == std::nullopt);
  REQUIRE(s.get_setting("bucket/logs.old/lifecycle").value() == std::optional<std::string>("b"));
}
