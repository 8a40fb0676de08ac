#include "kvgate/s3/user_directory.h"

#include <catch2/catch.hpp>

using kvgate::gateway::credentials;
using kvgate::s3::user_directory;

namespace {
constexpr std::string_view kUsers = R"(
[[user]]
access_key = "alice"
secret_key = "alice-secret"
read = ["shared"]
write = ["alice-*"]

[[user]]
access_key = "bob"
secret_key = "bob-secret"
write = ["*"]

[[user]]
access_key = "carol"
secret_key = "carol-secret"
)";
}  // namespace

TEST_CASE("users file grants read and write per bucket pattern", "[s3][users]") {
  auto dir = user_directory::parse(credentials{"root", "rootsecret"}, kUsers, "users.toml");
  REQUIRE(dir.has_value());
  const auto* root = dir->find("root");
  const auto* alice = dir->find("alice");
  const auto* bob = dir->find("bob");
  const auto* carol = dir->find("carol");
  REQUIRE(root);
  REQUIRE(alice);
  REQUIRE(bob);
  REQUIRE(carol);
  CHECK(root->root);
  CHECK(alice->secret_key == "alice-secret");
  CHECK(user_directory::can_write(*root, "anything", "bob"));
  CHECK(user_directory::can_read(*alice, "shared", "root"));
  CHECK_FALSE(user_directory::can_write(*alice, "shared", "root"));
  CHECK(user_directory::can_write(*alice, "alice-data", ""));
  CHECK(user_directory::can_read(*alice, "alice-data", ""));
  CHECK_FALSE(user_directory::can_read(*alice, "other", "root"));
  CHECK(user_directory::can_write(*bob, "other", "root"));
  CHECK_FALSE(user_directory::can_read(*carol, "shared", "root"));
  CHECK(user_directory::can_write(*carol, "mine", "carol"));  // owners keep access
  CHECK(dir->find("nobody") == nullptr);
}

TEST_CASE("users file errors name the problem", "[s3][users]") {
  const credentials root{"root", "s"};
  CHECK_FALSE(user_directory::parse(root, "[[user]]\nsecret_key = \"x\"\n", "f").has_value());
  CHECK_FALSE(user_directory::parse(root, "[[user]]\naccess_key = \"a\"\n", "f").has_value());
  CHECK_FALSE(user_directory::parse(
                  root, "[[user]]\naccess_key = \"a\"\nsecret_key = \"x\"\nadmin = true\n", "f")
                  .has_value());
  CHECK_FALSE(user_directory::parse(
                  root, "[[user]]\naccess_key = \"a\"\nsecret_key = \"x\"\nread = \"b\"\n", "f")
                  .has_value());
  CHECK_FALSE(
      user_directory::parse(root, "[[user]]\naccess_key = \"root\"\nsecret_key = \"x\"\n", "f")
          .has_value());
  CHECK_FALSE(user_directory::parse(root, "users = 1\n", "f").has_value());
  auto bad = user_directory::parse(root, "[[user]\n", "f.toml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().find("f.toml") != std::string::npos);
}

TEST_CASE("no users file means root only", "[s3][users]") {
  auto dir = user_directory::load(credentials{"root", "s"}, {});
  REQUIRE(dir.has_value());
  CHECK(dir->find("root") != nullptr);
}
