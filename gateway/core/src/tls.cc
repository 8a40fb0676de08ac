#include "tls.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

namespace kvgate::gateway {

namespace ssl = boost::asio::ssl;

boost::system::result<std::shared_ptr<ssl::context>, std::string> make_tls_context(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use | ssl::context::no_compression);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  // TLS 1.2 suites; TLS 1.3 suites are OpenSSL's (all AEAD) defaults.
  SSL_CTX_set_cipher_list(ctx->native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file.string(), ec);
  if (ec) {
    return fmt::format("cannot load TLS certificate {}: {}", cert_file.string(), ec.message());
  }
  ctx->use_private_key_file(key_file.string(), ssl::context::pem, ec);
  if (ec) {
    return fmt::format("cannot load TLS private key {}: {}", key_file.string(), ec.message());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return fmt::format("TLS private key {} does not match certificate {}", key_file.string(),
                       cert_file.string());
  }
  return ctx;
}

boost::system::result<void, std::string> tls_context_store::reload() {
  auto next = make_tls_context(cert_, key_);
  if (!next) return next.error();
  std::lock_guard lock(mutex_);
  current_ = std::move(*next);
  return {};
}

}  // namespace kvgate::gateway
