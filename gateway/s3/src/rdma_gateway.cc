#include "kvgate/s3/rdma_gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>

#include "kvgate/rdma/verbs_transport.h"

namespace kvgate::s3 {

rdma::rdma_limits rdma_gateway::advertised_limits() const {
  const auto& t = services_.limits;
  const auto& s = sessions_->limits();
  rdma::rdma_limits l;
  l.max_request_bytes = t.max_request_bytes;
  l.min_rdma_bytes = t.min_rdma_bytes;
  l.max_sessions_per_key = s.max_sessions_per_key;
  l.max_inflight_per_session = s.max_inflight_per_session;
  l.session_ttl_seconds = static_cast<std::uint64_t>(s.ttl.count());
  l.max_work_request_bytes = services_.staging->chunk_bytes();
  return l;
}

namespace {

// Reaps idle-expired sessions every few seconds on the RDMA event loop.
void arm_reaper(boost::asio::steady_timer& timer, rdma::session_registry& sessions,
                std::chrono::seconds period) {
  timer.expires_after(period);
  timer.async_wait([&timer, &sessions, period](const boost::system::error_code& ec) {
    if (ec) return;
    for (const auto& id : sessions.reap(rdma::session_clock::now()))
      spdlog::info("rdma: session {} expired", rdma::to_string(id));
    arm_reaper(timer, sessions, period);
  });
}

}  // namespace

boost::system::result<std::shared_ptr<rdma_gateway>, std::string> rdma_gateway::start(
    const rdma_settings& settings) {
  auto io = std::make_unique<boost::asio::io_context>(1);
  rdma::session_limits limits;
  limits.ttl = settings.session_ttl;
  auto sessions = std::make_shared<rdma::session_registry>(limits);
  rdma::verbs_config vc;
  vc.listen_address = settings.listen_address;
  vc.port = settings.port;
  vc.ack_timeout = settings.ack_timeout;
  vc.retry_count = settings.retry_count;
  auto net = rdma::verbs_transport::create(vc, *sessions, io->get_executor());
  if (!net) return "RDMA transport: " + net.error().message();
  rdma::staging_pool_config pc;
  pc.chunk_count = settings.staging_chunks;
  auto staging = rdma::staging_pool::create(**net, pc);
  if (!staging) return "RDMA staging pool: " + staging.error().message();
  const rdma::listener_address listener = (*net)->listener();
  std::weak_ptr<rdma::verbs_transport> weak_net = *net;
  sessions->set_end_observer([weak_net](const rdma::session_id& id) {
    if (auto n = weak_net.lock()) n->end_session(id);
  });
  auto gw = std::make_shared<rdma_gateway>(*net, sessions, std::move(*staging),
                                           rdma::transfer_limits{}, listener);
  gw->io_ = std::move(io);
  gw->reaper_ = std::make_unique<boost::asio::steady_timer>(*gw->io_);
  const auto ttl = sessions->limits().ttl;
  arm_reaper(
      *gw->reaper_, *sessions,
      std::clamp<std::chrono::seconds>(ttl / 4, std::chrono::seconds(1), std::chrono::seconds(30)));
  gw->thread_ = std::thread([ctx = gw->io_.get()] {
    auto guard = boost::asio::make_work_guard(*ctx);
    ctx->run();
  });
  spdlog::info("rdma: listening on {}:{} (rc1)", listener.address, listener.port);
  return gw;
}

rdma_gateway::~rdma_gateway() {
  if (auto* verbs = dynamic_cast<rdma::verbs_transport*>(net_.get())) verbs->stop();
  if (io_) io_->stop();
  if (thread_.joinable()) thread_.join();
  // Everything holding I/O objects of io_ goes before it.
  reaper_.reset();
  services_.staging.reset();
  net_.reset();
}

rdma::capabilities rdma_capabilities(const rdma_gateway* gw) {
  rdma::capabilities caps;
  if (gw == nullptr) return caps;
  caps.transports.emplace_back(rdma::kRc1Transport);
  caps.listener = gw->listener();
  caps.limits = gw->advertised_limits();
  return caps;
}

}  // namespace kvgate::s3
