#include "kvgate/sdk/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kvgate::sdk {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<credentials> from_pair(const environment_lookup& env, std::string_view access,
                                     std::string_view secret, std::string_view token) {
  auto a = env(access);
  auto s = env(secret);
  if (!a || !s || a->empty() || s->empty()) return std::nullopt;
  credentials c{*a, *s, std::nullopt};
  if (!token.empty()) {
    if (auto t = env(token); t && !t->empty()) c.session_token = *t;
  }
  return c;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

environment_lookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::optional<credentials> parse_credentials_profile(std::string_view text,
                                                     std::string_view profile) {
  bool in_profile = false;
  credentials c;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close == std::string_view::npos) continue;
      std::string_view name = trim(line.substr(1, close - 1));
      if (name.starts_with("profile ")) name = trim(name.substr(8));
      in_profile = name == profile;
      continue;
    }
    if (!in_profile) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, eq));
    const std::string value(trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id")
      c.access_key = value;
    else if (key == "aws_secret_access_key")
      c.secret_key = value;
    else if (key == "aws_session_token")
      c.session_token = value;
  }
  if (c.access_key.empty() || c.secret_key.empty()) return std::nullopt;
  return c;
}

result<resolved_credentials> resolve_credentials(const credential_options& options,
                                                 const environment_lookup& env) {
  resolved_credentials out;
  if (options.region)
    out.region = *options.region;
  else if (auto r = env("AWS_REGION"); r && !r->empty())
    out.region = *r;
  else if (auto d = env("AWS_DEFAULT_REGION"); d && !d->empty())
    out.region = *d;
  else
    out.region = "us-east-1";

  if (options.explicit_credentials && !options.explicit_credentials->access_key.empty() &&
      !options.explicit_credentials->secret_key.empty()) {
    out.keys = *options.explicit_credentials;
    out.source = "explicit";
    return out;
  }
  if (auto c = from_pair(env, "KVGATE_ACCESS_KEY", "KVGATE_SECRET_KEY", "")) {
    out.keys = *c;
    out.source = "KVGATE_*";
    return out;
  }
  if (auto c = from_pair(env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")) {
    out.keys = *c;
    out.source = "AWS_*";
    return out;
  }

  const auto env_profile = env("AWS_PROFILE");
  const bool profile_named = options.profile.has_value() || (env_profile && !env_profile->empty());
  const std::string profile =
      options.profile ? *options.profile
                      : (env_profile && !env_profile->empty() ? *env_profile : "default");
  std::string path;
  bool file_named = false;
  if (options.credentials_file) {
    path = *options.credentials_file;
    file_named = true;
  } else if (auto f = env("AWS_SHARED_CREDENTIALS_FILE"); f && !f->empty()) {
    path = *f;
    file_named = true;
  } else if (auto home = env("HOME"); home && !home->empty()) {
    path = *home + "/.aws/credentials";
  }
  if (!path.empty()) {
    const auto text = read_file(path);
    if (!text) {
      if (file_named)
        return make_error(sdk_errc::credentials_file, "cannot read credentials file " + path);
    } else if (auto c = parse_credentials_profile(*text, profile)) {
      out.keys = *c;
      out.source = "file:" + path + "[" + profile + "]";
      return out;
    } else if (profile_named || file_named) {
      return make_error(sdk_errc::credentials_file,
                        "profile [" + profile + "] has no key pair in " + path);
    }
  }
  return make_error(sdk_errc::no_credentials,
                    "no credentials: pass them explicitly, set KVGATE_ACCESS_KEY/KVGATE_SECRET_KEY "
                    "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or write ~/.aws/credentials");
}

}  // namespace kvgate::sdk
