#include "verbs_api.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>

namespace kvgate::rdma::verbs {
namespace {

template <class F>
bool resolve(void* library, const char* name, F& out) {
  void* sym = dlsym(library, name);
  if (sym == nullptr) return false;
  out = reinterpret_cast<F>(sym);
  return true;
}

}  // namespace

void dl_closer::operator()(void* handle) const noexcept {
  if (handle != nullptr) dlclose(handle);
}

result<api_ptr> load(const library_names& names) {
  auto a = std::make_shared<api>();
  // RTLD_NODELETE: librdmacm and libibverbs keep process-wide device state
  // (contexts, device lists) that must outlive our handles; unloading them
  // would orphan it (and LeakSanitizer reports it).
  constexpr int kFlags = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE;
  a->ibverbs_library.reset(dlopen(names.ibverbs.c_str(), kFlags));
  if (!a->ibverbs_library) return rdma_errc::library_unavailable;
  a->rdmacm_library.reset(dlopen(names.rdmacm.c_str(), kFlags));
  if (!a->rdmacm_library) return rdma_errc::library_unavailable;
  void* v = a->ibverbs_library.get();
  void* c = a->rdmacm_library.get();
  const bool ok =
      resolve(v, "ibv_reg_mr", a->reg_mr) && resolve(v, "ibv_dereg_mr", a->dereg_mr) &&
      resolve(v, "ibv_alloc_pd", a->alloc_pd) && resolve(v, "ibv_dealloc_pd", a->dealloc_pd) &&
      resolve(v, "ibv_create_comp_channel", a->create_comp_channel) &&
      resolve(v, "ibv_destroy_comp_channel", a->destroy_comp_channel) &&
      resolve(v, "ibv_create_cq", a->create_cq) && resolve(v, "ibv_destroy_cq", a->destroy_cq) &&
      resolve(v, "ibv_get_cq_event", a->get_cq_event) &&
      resolve(v, "ibv_ack_cq_events", a->ack_cq_events) &&
      resolve(v, "ibv_modify_qp", a->modify_qp) &&
      resolve(v, "ibv_query_device", a->query_device) &&
      resolve(c, "rdma_create_event_channel", a->create_event_channel) &&
      resolve(c, "rdma_destroy_event_channel", a->destroy_event_channel) &&
      resolve(c, "rdma_create_id", a->create_id) && resolve(c, "rdma_destroy_id", a->destroy_id) &&
      resolve(c, "rdma_bind_addr", a->bind_addr) && resolve(c, "rdma_listen", a->listen) &&
      resolve(c, "rdma_resolve_addr", a->resolve_addr) &&
      resolve(c, "rdma_resolve_route", a->resolve_route) &&
      resolve(c, "rdma_create_qp", a->create_qp) && resolve(c, "rdma_destroy_qp", a->destroy_qp) &&
      resolve(c, "rdma_connect", a->connect) && resolve(c, "rdma_accept", a->accept) &&
      resolve(c, "rdma_reject", a->reject) && resolve(c, "rdma_disconnect", a->disconnect) &&
      resolve(c, "rdma_get_cm_event", a->get_cm_event) &&
      resolve(c, "rdma_ack_cm_event", a->ack_cm_event) &&
      resolve(c, "rdma_set_option", a->set_option) && resolve(c, "rdma_event_str", a->event_str);
  if (!ok) return rdma_errc::library_unavailable;
  return api_ptr(std::move(a));
}

int move_qp_to_error(const api& a, ibv_qp* qp) {
  ibv_qp_attr attr{};
  attr.qp_state = IBV_QPS_ERR;
  return a.modify_qp(qp, &attr, IBV_QP_STATE);
}

result<sockaddr_storage> numeric_address(const std::string& address, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(address.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr)
    return rdma_errc::invalid_argument;
  sockaddr_storage out{};
  std::memcpy(&out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return out;
}

rd_atomic_limits query_rd_atomic_limits(const api& a, ibv_context* device) {
  ibv_device_attr attr{};
  if (device == nullptr || a.query_device(device, &attr) != 0) return {};
  auto clamp = [](int v) { return static_cast<std::uint8_t>(std::clamp(v, 1, 254)); };
  return {clamp(attr.max_qp_init_rd_atom), clamp(attr.max_qp_rd_atom)};
}

result<void> set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return rdma_errc::device_error;
  return {};
}

}  // namespace kvgate::rdma::verbs
