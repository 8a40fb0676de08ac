#include "kvgate/rdma/client_connection.h"

#include <poll.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "kvgate/rdma/connect_request.h"
#include "verbs_api.h"

namespace kvgate::rdma {

struct client_connection::impl {
  client_connection_config config;
  verbs::api_ptr api;
  // Destruction order (reverse of declaration): MRs, cm_id (+QP), CQ, PD,
  // event channel.
  verbs::event_channel_ptr channel;
  verbs::pd_ptr pd;
  verbs::cq_ptr cq;
  verbs::cm_id_ptr id;
  std::vector<verbs::mr_ptr> regions;
  bool established = false;
  bool fenced = false;

  ~impl() {
    regions.clear();
    if (id && established && !fenced) api->disconnect(id.get());
    id.reset();
    cq.reset();
    pd.reset();
    channel.reset();
  }

  // Waits for the next CM event on this connection's channel and acks it.
  result<rdma_cm_event_type> next_event(int timeout_ms, int* status = nullptr) {
    pollfd p{channel->fd, POLLIN, 0};
    const int ready = poll(&p, 1, timeout_ms);
    if (ready == 0) return rdma_errc::timeout;
    if (ready < 0) return rdma_errc::device_error;
    rdma_cm_event* event = nullptr;
    if (api->get_cm_event(channel.get(), &event) != 0) return rdma_errc::device_error;
    const rdma_cm_event_type type = event->event;
    if (status != nullptr) *status = event->status;
    api->ack_cm_event(event);
    return type;
  }

  result<void> expect(rdma_cm_event_type wanted) {
    auto got = next_event(static_cast<int>(config.timeout.count()));
    if (!got) return got.error();
    if (*got == wanted) return {};
    if (*got == RDMA_CM_EVENT_REJECTED) return rdma_errc::bad_secret;
    return rdma_errc::device_error;
  }
};

result<void> client_connection::probe(const client_connection_config& config) {
  if (!verbs::load({config.ibverbs_library, config.rdmacm_library}))
    return rdma_errc::library_unavailable;
  std::error_code ec;
  const std::filesystem::path devices = "/sys/class/infiniband";
  if (!std::filesystem::is_directory(devices, ec) || std::filesystem::is_empty(devices, ec))
    return rdma_errc::not_enabled;
  if (!std::filesystem::exists("/dev/infiniband/rdma_cm", ec)) return rdma_errc::not_enabled;
  return {};
}

client_connection::client_connection(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
client_connection::~client_connection() = default;

result<std::unique_ptr<client_connection>> client_connection::connect(
    const client_connection_config& config) {
  auto i = std::make_unique<impl>();
  i->config = config;
  auto loaded = verbs::load({config.ibverbs_library, config.rdmacm_library});
  if (!loaded) return rdma_errc::not_enabled;
  i->api = std::move(*loaded);
  const auto& api = i->api;
  auto addr = verbs::numeric_address(config.listener.address, config.listener.port);
  if (!addr) return addr.error();

  i->channel = verbs::own<verbs::event_channel_ptr>(api, api->create_event_channel());
  if (!i->channel) return rdma_errc::not_enabled;
  if (auto ok = verbs::set_nonblocking(i->channel->fd); !ok) return ok.error();
  rdma_cm_id* raw = nullptr;
  if (api->create_id(i->channel.get(), &raw, nullptr, RDMA_PS_TCP) != 0)
    return rdma_errc::not_enabled;
  i->id = verbs::own<verbs::cm_id_ptr>(api, raw);
  const int timeout_ms = static_cast<int>(config.timeout.count());
  if (api->resolve_addr(i->id.get(), nullptr, reinterpret_cast<sockaddr*>(&*addr), timeout_ms) != 0)
    return rdma_errc::not_enabled;
  if (auto ok = i->expect(RDMA_CM_EVENT_ADDR_RESOLVED); !ok) return ok.error();
  if (api->resolve_route(i->id.get(), timeout_ms) != 0) return rdma_errc::device_error;
  if (auto ok = i->expect(RDMA_CM_EVENT_ROUTE_RESOLVED); !ok) return ok.error();

  // The route picked the device (and port, GID) for the gateway's address.
  i->pd = verbs::own<verbs::pd_ptr>(api, api->alloc_pd(i->id->verbs));
  if (!i->pd) return rdma_errc::device_error;
  i->cq = verbs::own<verbs::cq_ptr>(api, api->create_cq(i->id->verbs, 2, nullptr, nullptr, 0));
  if (!i->cq) return rdma_errc::device_error;
  ibv_qp_init_attr attr{};
  attr.send_cq = i->cq.get();
  attr.recv_cq = i->cq.get();
  attr.qp_type = IBV_QPT_RC;
  attr.cap.max_send_wr = 1;
  attr.cap.max_recv_wr = 1;
  attr.cap.max_send_sge = 1;
  attr.cap.max_recv_sge = 1;
  if (api->create_qp(i->id.get(), i->pd.get(), &attr) != 0) return rdma_errc::device_error;
  std::uint8_t ack_timeout = config.ack_timeout;
  api->set_option(i->id.get(), RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT, &ack_timeout,
                  sizeof ack_timeout);

  const auto private_data = encode_connect_request({config.session, config.secret});
  rdma_conn_param param{};
  param.private_data = private_data.data();
  param.private_data_len = static_cast<std::uint8_t>(private_data.size());
  // rdma_connect refuses more than the device supports.
  param.responder_resources = std::min(config.responder_resources,
                                       verbs::query_rd_atomic_limits(*api, i->id->verbs).responder);
  param.initiator_depth = 0;
  param.retry_count = 7;
  param.rnr_retry_count = 7;
  if (api->connect(i->id.get(), &param) != 0) return rdma_errc::device_error;
  if (auto ok = i->expect(RDMA_CM_EVENT_ESTABLISHED); !ok) return ok.error();
  i->established = true;
  return std::unique_ptr<client_connection>(new client_connection(std::move(i)));
}

result<client_region> client_connection::register_memory(std::span<std::byte> memory) {
  const auto& api = impl_->api;
  auto mr = verbs::own<verbs::mr_ptr>(
      api, api->reg_mr(impl_->pd.get(), memory.data(), memory.size(),
                       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ));
  if (!mr) return rdma_errc::device_error;
  const client_region region{reinterpret_cast<std::uint64_t>(memory.data()), memory.size(),
                             mr->rkey};
  impl_->regions.push_back(std::move(mr));
  return region;
}

void client_connection::deregister_memory(const client_region& region) {
  auto& regions = impl_->regions;
  const auto it = std::find_if(regions.begin(), regions.end(), [&](const verbs::mr_ptr& mr) {
    return reinterpret_cast<std::uint64_t>(mr->addr) == region.addr &&
           mr->length == region.length && mr->rkey == region.rkey;
  });
  if (it != regions.end()) regions.erase(it);
}

result<std::string> client_connection::token(const client_region& region, std::uint64_t offset,
                                             std::uint64_t length) const {
  if (offset > region.length || length > region.length - offset) return rdma_errc::out_of_window;
  return format_token({region.addr + offset, length, impl_->config.session, region.rkey});
}

bool client_connection::connected() {
  if (!impl_->established || impl_->fenced) return false;
  while (true) {
    auto event = impl_->next_event(0);
    if (!event) return true;  // nothing pending
    if (*event == RDMA_CM_EVENT_DISCONNECTED || *event == RDMA_CM_EVENT_DEVICE_REMOVAL) {
      impl_->established = false;
      return false;
    }
  }
}

void client_connection::fence() {
  if (impl_->fenced) return;
  impl_->fenced = true;
  if (impl_->id && impl_->id->qp != nullptr) verbs::move_qp_to_error(*impl_->api, impl_->id->qp);
}

const session_id& client_connection::session() const noexcept {
  return impl_->config.session;
}

}  // namespace kvgate::rdma
