// make_verbs_connector(): rdma_link over kvgate::rdma::client_connection.
#include "kvgate/rdma/client_connection.h"
#include "kvgate/sdk/rdma_link.h"

namespace kvgate::sdk {
namespace {

class verbs_link final : public rdma_link {
 public:
  explicit verbs_link(std::unique_ptr<rdma::client_connection> conn) : conn_(std::move(conn)) {}

  rdma::result<std::uint32_t> register_memory(std::span<std::byte> memory) override {
    auto region = conn_->register_memory(memory);
    if (!region) return region.error();
    return region->rkey;
  }

  void deregister_memory(std::span<std::byte> memory, std::uint32_t rkey) override {
    conn_->deregister_memory({reinterpret_cast<std::uint64_t>(memory.data()), memory.size(), rkey});
  }

  void fence() override { conn_->fence(); }
  bool connected() override { return conn_->connected(); }

 private:
  std::unique_ptr<rdma::client_connection> conn_;
};

class verbs_connector final : public rdma_connector {
 public:
  explicit verbs_connector(std::uint8_t ack_timeout) : ack_timeout_(ack_timeout) {}

  std::string unavailable_reason() override {
    auto ok = rdma::client_connection::probe({});
    if (ok) return {};
    if (ok.error() == rdma::rdma_errc::library_unavailable)
      return "libibverbs/librdmacm not installed";
    return "no RDMA device on this host";
  }

  rdma::result<std::unique_ptr<rdma_link>> connect(const rdma::session_created& grant) override {
    rdma::client_connection_config config;
    config.listener = grant.listener;
    config.session = grant.session;
    config.secret = grant.secret;
    config.ack_timeout = ack_timeout_;
    auto conn = rdma::client_connection::connect(config);
    if (!conn) return conn.error();
    return std::unique_ptr<rdma_link>(new verbs_link(std::move(*conn)));
  }

 private:
  std::uint8_t ack_timeout_;
};

}  // namespace

std::shared_ptr<rdma_connector> make_verbs_connector(std::uint8_t ack_timeout) {
  return std::make_shared<verbs_connector>(ack_timeout);
}

}  // namespace kvgate::sdk
