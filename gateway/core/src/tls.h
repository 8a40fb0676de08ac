// TLS server contexts: TLS 1.2+ only, forward-secret AEAD ciphers.
//
// tls_context_store keeps the current context behind a mutex; reload()
// builds a fresh one from the same files (SIGHUP) and swaps it in for new
// connections while live connections keep theirs (each session holds a
// shared_ptr). Thread-safe.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace kvgate::gateway {

[[nodiscard]] boost::system::result<std::shared_ptr<boost::asio::ssl::context>, std::string>
make_tls_context(const std::filesystem::path& cert_file, const std::filesystem::path& key_file);

class tls_context_store {
 public:
  tls_context_store(std::filesystem::path cert, std::filesystem::path key,
                    std::shared_ptr<boost::asio::ssl::context> initial)
      : cert_(std::move(cert)), key_(std::move(key)), current_(std::move(initial)) {}

  std::shared_ptr<boost::asio::ssl::context> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  // Rebuilds the context from the files; on failure keeps the old one.
  [[nodiscard]] boost::system::result<void, std::string> reload();

 private:
  const std::filesystem::path cert_;
  const std::filesystem::path key_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace kvgate::gateway
