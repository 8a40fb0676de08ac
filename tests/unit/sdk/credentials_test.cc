// Credential and region resolution order (credentials.h) with an injected
// environment and temporary credentials files.
#include "kvgate/sdk/credentials.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "sdk/sdk_result_printing.h"

using namespace kvgate::sdk;

namespace {

environment_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct temp_home {
  temp_home() {
    dir = std::filesystem::temp_directory_path() /
          ("kvgate-sdk-creds-" + std::to_string(std::rand()) + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / ".aws");
  }
  ~temp_home() { std::filesystem::remove_all(dir); }
  std::string write(const std::string& text) {
    const auto path = dir / ".aws" / "credentials";
    std::ofstream(path) << text;
    return path.string();
  }
  std::filesystem::path dir;
};

constexpr const char* kFile =
    "# comment\n"
    "[default]\n"
    "aws_access_key_id = AKDEFAULT\n"
    "aws_secret_access_key=secret-default\n"
    "\n"
    "[profile kv]\n"
    "  aws_access_key_id = AKKV  \r\n"
    "aws_secret_access_key = secret-kv\n"
    "aws_session_token = token-kv\n"
    "[empty]\n"
    "region = x\n";

}  // namespace

TEST_CASE("explicit credentials win over the environment", "[sdk][credentials]") {
  credential_options o;
  o.explicit_credentials = credentials{"AKX", "SX", std::nullopt};
  auto r = resolve_credentials(o, env_of({{"KVGATE_ACCESS_KEY", "K"}, {"KVGATE_SECRET_KEY", "S"}}));
  REQUIRE(r);
  CHECK(r->keys.access_key == "AKX");
  CHECK(r->source == "explicit");
  CHECK(r->region == "us-east-1");
}

TEST_CASE("KVGATE_* is preferred to AWS_*, which carries the session token", "[sdk][credentials]") {
  auto both = resolve_credentials({}, env_of({{"KVGATE_ACCESS_KEY", "K"},
                                              {"KVGATE_SECRET_KEY", "S"},
                                              {"AWS_ACCESS_KEY_ID", "A"},
                                              {"AWS_SECRET_ACCESS_KEY", "B"}}));
  REQUIRE(both);
  CHECK(both->keys.access_key == "K");
  CHECK(both->source == "KVGATE_*");
  auto aws = resolve_credentials({}, env_of({{"AWS_ACCESS_KEY_ID", "A"},
                                             {"AWS_SECRET_ACCESS_KEY", "B"},
                                             {"AWS_SESSION_TOKEN", "T"},
                                             {"AWS_REGION", "eu-west-3"}}));
  REQUIRE(aws);
  CHECK(aws->keys.access_key == "A");
  CHECK(aws->keys.session_token == "T");
  CHECK(aws->region == "eu-west-3");
  CHECK(aws->source == "AWS_*");
  // Half a pair is no pair.
  auto half = resolve_credentials({}, env_of({{"KVGATE_ACCESS_KEY", "K"}}));
  REQUIRE_FALSE(half);
  CHECK(half.error().code == sdk_errc::no_credentials);
}

TEST_CASE("the shared credentials file: default profile, AWS_PROFILE, explicit profile",
          "[sdk][credentials]") {
  temp_home home;
  const std::string path = home.write(kFile);
  auto def = resolve_credentials({}, env_of({{"HOME", home.dir.string()}}));
  REQUIRE(def);
  CHECK(def->keys.access_key == "AKDEFAULT");
  CHECK(def->source == "file:" + path + "[default]");
  auto env_profile =
      resolve_credentials({}, env_of({{"HOME", home.dir.string()}, {"AWS_PROFILE", "kv"}}));
  REQUIRE(env_profile);
  CHECK(env_profile->keys.access_key == "AKKV");
  CHECK(env_profile->keys.session_token == "token-kv");
  credential_options o;
  o.profile = "kv";
  o.region = "default";
  auto explicit_profile = resolve_credentials(o, env_of({{"HOME", home.dir.string()}}));
  REQUIRE(explicit_profile);
  CHECK(explicit_profile->keys.secret_key == "secret-kv");
  CHECK(explicit_profile->region == "default");
  // AWS_SHARED_CREDENTIALS_FILE overrides HOME.
  auto file_env = resolve_credentials({}, env_of({{"AWS_SHARED_CREDENTIALS_FILE", path}}));
  REQUIRE(file_env);
  CHECK(file_env->keys.access_key == "AKDEFAULT");
}

TEST_CASE("a named profile or file that cannot be used is an error, not a silent miss",
          "[sdk][credentials]") {
  temp_home home;
  home.write(kFile);
  credential_options o;
  o.profile = "empty";
  auto r = resolve_credentials(o, env_of({{"HOME", home.dir.string()}}));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == sdk_errc::credentials_file);
  credential_options missing;
  missing.credentials_file = (home.dir / "nope").string();
  auto m = resolve_credentials(missing, env_of({}));
  REQUIRE_FALSE(m);
  CHECK(m.error().code == sdk_errc::credentials_file);
  // No HOME file at all and nothing else: no_credentials.
  auto none = resolve_credentials({}, env_of({{"HOME", (home.dir / "elsewhere").string()}}));
  REQUIRE_FALSE(none);
  CHECK(none.error().code == sdk_errc::no_credentials);
}

TEST_CASE("region falls back from AWS_REGION to AWS_DEFAULT_REGION to us-east-1",
          "[sdk][credentials]") {
  const auto keys =
      std::map<std::string, std::string>{{"KVGATE_ACCESS_KEY", "K"}, {"KVGATE_SECRET_KEY", "S"}};
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(keys.begin(), keys.end());
    return resolve_credentials({}, env_of(extra)).value().region;
  };
  CHECK(with({}) == "us-east-1");
  CHECK(with({{"AWS_DEFAULT_REGION", "b"}}) == "b");
  CHECK(with({{"AWS_DEFAULT_REGION", "b"}, {"AWS_REGION", "a"}}) == "a");
}
