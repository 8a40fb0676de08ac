// The S3 layer's handle on the RDMA fast path (docs/rdma-protocol.md): the
// transport, the session registry, the registered staging memory and the
// limits. s3_service holds none when RDMA is disabled or unavailable on this
// host; requests then get the documented `not-enabled` answers.
//
// Thread-safe: the members are thread-safe objects, shared by all requests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "kvgate/rdma/capabilities.h"
#include "kvgate/rdma/session_registry.h"
#include "kvgate/rdma/staging_pool.h"
#include "kvgate/rdma/transfer.h"
#include "kvgate/rdma/transport.h"

namespace kvgate::s3 {

// Settings of `kvgate serve` for the fast path (docs/configuration.md).
struct rdma_settings {
  std::string listen_address;  // numeric address of the RDMA netdev
  std::uint16_t port = 7471;
  std::uint8_t ack_timeout = 18;          // 4.096 us * 2^n; 18 suits soft-RoCE under emulation
  std::uint8_t retry_count = 7;           // transport retries after an ACK timeout (0-7)
  std::size_t staging_chunks = 64;        // x 1 MiB, registered once
  std::chrono::seconds session_ttl{600};  // idle time before a session expires
};

class rdma_gateway {
 public:
  // Loads the verbs libraries, listens for rdma_cm connections, registers
  // the staging pool and starts the event thread (asleep while idle) and the
  // session reaper. Errors: why RDMA is unavailable (the gateway then runs
  // without it and answers not-enabled).
  static boost::system::result<std::shared_ptr<rdma_gateway>, std::string> start(
      const rdma_settings& settings);
  ~rdma_gateway();

  rdma_gateway(std::shared_ptr<rdma::transport> net,
               std::shared_ptr<rdma::session_registry> sessions,
               std::shared_ptr<rdma::staging_pool> staging, rdma::transfer_limits limits,
               rdma::listener_address listener)
      : net_(std::move(net)),
        sessions_(std::move(sessions)),
        services_{*net_, *sessions_, std::move(staging), limits},
        listener_(std::move(listener)) {}

  rdma::session_registry& sessions() const noexcept { return *sessions_; }
  rdma::transfer_services& services() noexcept { return services_; }
  const rdma::listener_address& listener() const noexcept { return listener_; }

  // The limits as advertised by capabilities and session grants.
  rdma::rdma_limits advertised_limits() const;

 private:
  std::shared_ptr<rdma::transport> net_;
  std::shared_ptr<rdma::session_registry> sessions_;
  rdma::transfer_services services_;
  rdma::listener_address listener_;
  // Set by start(): the event loop the transport's completion channel and
  // the reaper run on, and its thread.
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::asio::steady_timer> reaper_;
  std::thread thread_;
};

// The capabilities document for `gw` (transports empty when null).
rdma::capabilities rdma_capabilities(const rdma_gateway* gw);

}  // namespace kvgate::s3
