// Who may call the gateway: the root credentials plus the users of the
// credentials file (TOML, `credentials_file` option; docs/users.md), each with per-bucket
// read/write grants. Format:
//
//   [[user]]
//   access_key = "alice"
//   secret_key = "alice-secret"
//   read  = ["shared", "logs"]   # bucket names, "*" for every bucket
//   write = ["alice-*"]          # a trailing '*' matches a prefix
//
// Rules: root may do everything. A bucket's owner may read and write it. A
// write grant implies read. Creating a bucket needs a write grant matching its
// name. Immutable after load(); thread-safe for concurrent lookups.
#pragma once

#include <boost/system/result.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/gateway/dev_credentials.h"

namespace kvgate::s3 {

struct user {
  std::string access_key;
  std::string secret_key;
  bool root = false;
  std::vector<std::string> read;   // bucket patterns
  std::vector<std::string> write;  // bucket patterns
};

class user_directory {
 public:
  user_directory() = default;
  // Root only.
  explicit user_directory(const gateway::credentials& root);

  // Root plus the users of `file` (empty path: root only). Errors name the
  // file and the problem (unknown key, duplicate access key, missing secret).
  [[nodiscard]] static boost::system::result<user_directory, std::string> load(
      const gateway::credentials& root, const std::filesystem::path& file);
  // Same, from TOML text (tests).
  [[nodiscard]] static boost::system::result<user_directory, std::string> parse(
      const gateway::credentials& root, std::string_view toml_text, std::string_view origin);

  const user* find(std::string_view access_key) const noexcept;

  // `bucket_owner` is the access key recorded on the bucket (empty if unknown).
  static bool can_read(const user& u, std::string_view bucket,
                       std::string_view bucket_owner) noexcept;
  static bool can_write(const user& u, std::string_view bucket,
                        std::string_view bucket_owner) noexcept;

 private:
  std::map<std::string, user, std::less<>> users_;
};

// True when `pattern` ("*", "name" or "prefix*") matches `bucket`.
bool bucket_pattern_matches(std::string_view pattern, std::string_view bucket) noexcept;

}  // namespace kvgate::s3
