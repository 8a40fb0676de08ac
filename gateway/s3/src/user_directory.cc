#include "kvgate/s3/user_directory.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace kvgate::s3 {
namespace {

using load_result = boost::system::result<user_directory, std::string>;

boost::system::result<std::vector<std::string>, std::string> string_list(const toml::table& t,
                                                                         std::string_view key,
                                                                         std::string_view where) {
  std::vector<std::string> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) return fmt::format("{}: {} must be an array of bucket names", where, key);
  for (const auto& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr || s->get().empty()) {
      return fmt::format("{}: {} must contain non-empty strings", where, key);
    }
    out.push_back(s->get());
  }
  return out;
}

}  // namespace

user_directory::user_directory(const gateway::credentials& root) {
  if (root.access_key.empty()) return;
  user u;
  u.access_key = root.access_key;
  u.secret_key = root.secret_key;
  u.root = true;
  users_.emplace(u.access_key, std::move(u));
}

load_result user_directory::parse(const gateway::credentials& root, std::string_view toml_text,
                                  std::string_view origin) {
  user_directory dir(root);
  toml::table parsed;
  try {
    parsed = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& err) {
    return fmt::format("{}: {}", origin, err.description());
  }
  for (const auto& [k, v] : parsed) {
    if (k.str() != "user")
      return fmt::format("{}: unknown key \"{}\" (expected [[user]])", origin, k.str());
    (void)v;
  }
  const toml::array* users = parsed["user"].as_array();
  if (users == nullptr) return dir;
  std::size_t index = 0;
  for (const auto& node : *users) {
    ++index;
    const auto where = fmt::format("{}: user #{}", origin, index);
    const toml::table* t = node.as_table();
    if (t == nullptr) return fmt::format("{}: not a table", where);
    for (const auto& [k, v] : *t) {
      const auto name = k.str();
      if (name != "access_key" && name != "secret_key" && name != "read" && name != "write") {
        return fmt::format("{}: unknown key \"{}\"", where, name);
      }
      (void)v;
    }
    user u;
    if (auto ak = (*t)["access_key"].value<std::string>(); ak && !ak->empty())
      u.access_key = *ak;
    else
      return fmt::format("{}: access_key missing or empty", where);
    if (auto sk = (*t)["secret_key"].value<std::string>(); sk && !sk->empty())
      u.secret_key = *sk;
    else
      return fmt::format("{}: secret_key missing or empty for {}", where, u.access_key);
    auto read = string_list(*t, "read", where);
    if (!read) return read.error();
    auto write = string_list(*t, "write", where);
    if (!write) return write.error();
    u.read = std::move(*read);
    u.write = std::move(*write);
    if (dir.users_.contains(u.access_key)) {
      return fmt::format("{}: duplicate access_key {}", where, u.access_key);
    }
    std::string key = u.access_key;
    dir.users_.emplace(std::move(key), std::move(u));
  }
  return dir;
}

load_result user_directory::load(const gateway::credentials& root,
                                 const std::filesystem::path& file) {
  if (file.empty()) return user_directory(root);
  std::ifstream in(file);
  if (!in) return fmt::format("cannot read credentials file {}", file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(root, text.str(), file.string());
}

const user* user_directory::find(std::string_view access_key) const noexcept {
  auto it = users_.find(access_key);
  return it == users_.end() ? nullptr : &it->second;
}

bool bucket_pattern_matches(std::string_view pattern, std::string_view bucket) noexcept {
  if (pattern == "*") return true;
  if (!pattern.empty() && pattern.back() == '*') {
    return bucket.starts_with(pattern.substr(0, pattern.size() - 1));
  }
  return pattern == bucket;
}

namespace {
bool any_matches(const std::vector<std::string>& patterns, std::string_view bucket) noexcept {
  for (const auto& p : patterns) {
    if (bucket_pattern_matches(p, bucket)) return true;
  }
  return false;
}
}  // namespace

bool user_directory::can_write(const user& u, std::string_view bucket,
                               std::string_view bucket_owner) noexcept {
  if (u.root) return true;
  if (!bucket_owner.empty() && bucket_owner == u.access_key) return true;
  return any_matches(u.write, bucket);
}

bool user_directory::can_read(const user& u, std::string_view bucket,
                              std::string_view bucket_owner) noexcept {
  return can_write(u, bucket, bucket_owner) || any_matches(u.read, bucket);
}

}  // namespace kvgate::s3
