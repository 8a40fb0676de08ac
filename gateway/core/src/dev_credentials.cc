#include "kvgate/gateway/dev_credentials.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>

namespace kvgate::gateway {
namespace {

constexpr std::size_t kAccessKeyLength = 20;
constexpr std::size_t kSecretKeyLength = 40;

// Empty when the random generator fails.
std::optional<std::string> random_key(std::string_view alphabet, std::size_t length) {
  std::string out;
  while (out.size() < length) {
    std::array<unsigned char, 64> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      return std::nullopt;
    }
    // Rejection sampling keeps the distribution uniform.
    const std::size_t limit = 256 - 256 % alphabet.size();
    for (unsigned char b : bytes) {
      if (b < limit && out.size() < length) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  return out;
}

boost::system::result<credentials, std::string> read_file(const std::filesystem::path& file) {
  toml::table parsed;
  try {
    parsed = toml::parse_file(file.string());
  } catch (const toml::parse_error& err) {
    return fmt::format("cannot parse {}: {}", file.string(), err.description());
  }
  auto access = parsed["access_key"].value<std::string>();
  auto secret = parsed["secret_key"].value<std::string>();
  if (!access || !secret || access->empty() || secret->empty()) {
    return fmt::format("{} lacks access_key or secret_key", file.string());
  }
  return credentials{*access, *secret};
}

}  // namespace

boost::system::result<credentials, std::string> load_or_create_dev_credentials(
    const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) return read_file(file);
  if (file.has_parent_path()) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message());
    }
  }
  auto access = random_key("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", kAccessKeyLength);
  if (!access) return std::string("OpenSSL random generator failed");
  auto secret = random_key("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                           kSecretKeyLength);
  if (!secret) return std::string("OpenSSL random generator failed");
  toml::table t{{"access_key", *access}, {"secret_key", *secret}};
  std::ostringstream text;
  text << "# kvgate development credentials (generated on first start)\n" << t << "\n";
  const std::string content = text.str();

  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return read_file(file);  // another process won the race
    return fmt::format("cannot create {}: {}", file.string(), std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      return fmt::format("cannot write {}: {}", file.string(), std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return fmt::format("cannot write {}: {}", file.string(), std::strerror(errno));
  }
  return credentials{*access, *secret};
}

}  // namespace kvgate::gateway
