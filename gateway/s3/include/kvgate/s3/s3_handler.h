// The S3 request handler `kvgate serve` installs: addressing, authentication,
// routing, authorization and dispatch to one operation per request. One
// instance serves every connection; thread-safe (its state is s3_service).
#pragma once

#include <boost/system/result.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kvgate/erasure/disk.h"
#include "kvgate/gateway/config.h"
#include "kvgate/gateway/dev_credentials.h"
#include "kvgate/gateway/request_handler.h"
#include "kvgate/s3/s3_service.h"

namespace kvgate::s3 {

class s3_handler final : public gateway::request_handler {
 public:
  explicit s3_handler(std::shared_ptr<const s3_service> service) : service_(std::move(service)) {}
  gateway::asio::awaitable<void> async_handle(gateway::request_context& ctx) override;
  const s3_service& service() const noexcept { return *service_; }
  // Loads the credentials file again (SIGHUP) and swaps it in for new
  // requests; on an error the users in force stay and the error is returned.
  [[nodiscard]] boost::system::result<void, std::string> reload_users(
      const gateway::credentials& root, const std::filesystem::path& credentials_file) const;

 private:
  std::shared_ptr<const s3_service> service_;
};

// Opens the store on config.data_dirs (or on `disks`, ready-made ones in set
// order: test-only fault injection), loads the users file and builds the handler.
[[nodiscard]] boost::system::result<std::unique_ptr<s3_handler>, std::string> make_s3_handler(
    const gateway::server_config& config, const gateway::credentials& root,
    boost::asio::thread_pool& blocking_pool,
    std::vector<std::shared_ptr<erasure::disk>> disks = {});

}  // namespace kvgate::s3
