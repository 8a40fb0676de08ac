// Where the client's access key, secret and region come from.
//
// resolve_credentials() tries, in order, and takes the first source that has
// both an access key and a secret:
//   1. the explicit credentials in the options;
//   2. KVGATE_ACCESS_KEY / KVGATE_SECRET_KEY (kvgate's own server variables);
//   3. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//   4. the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE, else
//      $HOME/.aws/credentials), section [profile] where profile is the
//      explicit one, else $AWS_PROFILE, else "default".
// The region is the explicit one, else $AWS_REGION, else $AWS_DEFAULT_REGION,
// else "us-east-1" (kvgate accepts any region string).
//
// The environment is read through `environment_lookup` so tests inject it;
// pure apart from reading the credentials file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kvgate/sdk/error.h"

namespace kvgate::sdk {

struct credentials {
  std::string access_key;
  std::string secret_key;
  std::optional<std::string> session_token;
};

// Explicit settings from the caller; every member optional.
struct credential_options {
  std::optional<credentials> explicit_credentials;
  std::optional<std::string> profile;
  std::optional<std::string> region;
  std::optional<std::string> credentials_file;  // overrides the environment/HOME lookup
};

struct resolved_credentials {
  credentials keys;
  std::string region;
  std::string source;  // "explicit", "KVGATE_*", "AWS_*", "file:<path>[<profile>]"
};

// Returns the variable's value, or nullopt when unset.
using environment_lookup = std::function<std::optional<std::string>(std::string_view name)>;
environment_lookup process_environment();

// Errors: no_credentials when no source has a key pair; credentials_file when
// an explicitly named file or profile (option or AWS_PROFILE) cannot be read.
[[nodiscard]] result<resolved_credentials> resolve_credentials(const credential_options& options,
                                                               const environment_lookup& env);

// One profile of a shared credentials file's text (INI: [name], key = value,
// '#'/';' comments). nullopt when the profile has no key pair.
std::optional<credentials> parse_credentials_profile(std::string_view text,
                                                     std::string_view profile);

}  // namespace kvgate::sdk
