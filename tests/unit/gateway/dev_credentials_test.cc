#include "kvgate/gateway/dev_credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

using namespace kvgate::gateway;
namespace fs = std::filesystem;

TEST_CASE("dev credentials are created once with mode 0600 and reused") {
  const fs::path dir = fs::temp_directory_path() / ("kvgate-devcred-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path file = dir / "dev-credentials";
  auto first = load_or_create_dev_credentials(file);
  REQUIRE(first.has_value());
  CHECK(first->access_key.size() == 20);
  CHECK(first->secret_key.size() == 40);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto second = load_or_create_dev_credentials(file);
  REQUIRE(second.has_value());
  CHECK(second->access_key == first->access_key);
  CHECK(second->secret_key == first->secret_key);
  fs::remove_all(dir);
}
