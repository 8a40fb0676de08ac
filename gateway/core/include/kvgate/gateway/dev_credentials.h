// Development credentials for a server started without access/secret keys.
//
// Generated randomly on first start and kept in a file (mode 0600, TOML with
// access_key/secret_key) next to the data directories, so the keys a
// developer copied from the first start keep working. Only used on loopback
// listeners (resolve_config() refuses otherwise).
#pragma once

#include <boost/system/result.hpp>
#include <filesystem>
#include <string>

namespace kvgate::gateway {

struct credentials {
  credentials() = default;
  credentials(std::string access, std::string secret)
      : access_key(std::move(access)), secret_key(std::move(secret)) {}
  std::string access_key;
  std::string secret_key;
};

// Reads `file`, or creates it (and its directory) with fresh random keys.
[[nodiscard]] boost::system::result<credentials, std::string> load_or_create_dev_credentials(
    const std::filesystem::path& file);

}  // namespace kvgate::gateway
