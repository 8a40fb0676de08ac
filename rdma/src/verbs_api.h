// libibverbs and librdmacm, loaded at run time.
//
// kvgate never links the verbs libraries: load() dlopens libibverbs.so.1 and
// librdmacm.so.1 and resolves the entry points below, so the same binary
// runs on hosts without RDMA and reports not_enabled there. Inline verbs
// (ibv_post_send, ibv_poll_cq, ibv_req_notify_cq) dispatch through the
// context's ops table and need no symbol.
//
// Every verbs/CM object is held by an RAII handle (unique_ptr with a deleter
// that calls the loaded destroy function); handles keep the API (and so the
// dl handles) alive through a shared_ptr. Destruction order is the reverse of
// creation and is the owner's job: QP before CQ before completion channel;
// MRs and QPs before the PD; cm_ids before their event channel.
#pragma once

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "kvgate/rdma/errc.h"

namespace kvgate::rdma::verbs {

struct library_names {
  std::string ibverbs = "libibverbs.so.1";
  std::string rdmacm = "librdmacm.so.1";
};

struct dl_closer {
  void operator()(void* handle) const noexcept;
};
using dl_handle = std::unique_ptr<void, dl_closer>;

struct api {
  // libibverbs
  ibv_mr* (*reg_mr)(ibv_pd*, void*, size_t, int) = nullptr;
  int (*dereg_mr)(ibv_mr*) = nullptr;
  ibv_pd* (*alloc_pd)(ibv_context*) = nullptr;
  int (*dealloc_pd)(ibv_pd*) = nullptr;
  ibv_comp_channel* (*create_comp_channel)(ibv_context*) = nullptr;
  int (*destroy_comp_channel)(ibv_comp_channel*) = nullptr;
  ibv_cq* (*create_cq)(ibv_context*, int, void*, ibv_comp_channel*, int) = nullptr;
  int (*destroy_cq)(ibv_cq*) = nullptr;
  int (*get_cq_event)(ibv_comp_channel*, ibv_cq**, void**) = nullptr;
  void (*ack_cq_events)(ibv_cq*, unsigned int) = nullptr;
  int (*modify_qp)(ibv_qp*, ibv_qp_attr*, int) = nullptr;
  int (*query_device)(ibv_context*, ibv_device_attr*) = nullptr;
  // librdmacm
  rdma_event_channel* (*create_event_channel)() = nullptr;
  void (*destroy_event_channel)(rdma_event_channel*) = nullptr;
  int (*create_id)(rdma_event_channel*, rdma_cm_id**, void*, rdma_port_space) = nullptr;
  int (*destroy_id)(rdma_cm_id*) = nullptr;
  int (*bind_addr)(rdma_cm_id*, sockaddr*) = nullptr;
  int (*listen)(rdma_cm_id*, int) = nullptr;
  int (*resolve_addr)(rdma_cm_id*, sockaddr*, sockaddr*, int) = nullptr;
  int (*resolve_route)(rdma_cm_id*, int) = nullptr;
  int (*create_qp)(rdma_cm_id*, ibv_pd*, ibv_qp_init_attr*) = nullptr;
  void (*destroy_qp)(rdma_cm_id*) = nullptr;
  int (*connect)(rdma_cm_id*, rdma_conn_param*) = nullptr;
  int (*accept)(rdma_cm_id*, rdma_conn_param*) = nullptr;
  int (*reject)(rdma_cm_id*, const void*, uint8_t) = nullptr;
  int (*disconnect)(rdma_cm_id*) = nullptr;
  int (*get_cm_event)(rdma_event_channel*, rdma_cm_event**) = nullptr;
  int (*ack_cm_event)(rdma_cm_event*) = nullptr;
  int (*set_option)(rdma_cm_id*, int, int, void*, size_t) = nullptr;
  const char* (*event_str)(rdma_cm_event_type) = nullptr;

  dl_handle ibverbs_library;
  dl_handle rdmacm_library;
};

using api_ptr = std::shared_ptr<const api>;

// Errors: library_unavailable (a library or one of its symbols is missing).
[[nodiscard]] result<api_ptr> load(const library_names& names = {});

// RAII handles. Each deleter holds the API that created the object.
template <class T, void (*Destroy)(const api&, T*)>
struct deleter {
  api_ptr owner;
  void operator()(T* p) const noexcept {
    if (p != nullptr) Destroy(*owner, p);
  }
};

namespace detail {
inline void destroy_event_channel(const api& a, rdma_event_channel* p) {
  a.destroy_event_channel(p);
}
inline void destroy_id(const api& a, rdma_cm_id* p) {
  if (p->qp != nullptr) a.destroy_qp(p);
  a.destroy_id(p);
}
inline void dealloc_pd(const api& a, ibv_pd* p) {
  a.dealloc_pd(p);
}
inline void destroy_comp_channel(const api& a, ibv_comp_channel* p) {
  a.destroy_comp_channel(p);
}
inline void destroy_cq(const api& a, ibv_cq* p) {
  a.destroy_cq(p);
}
inline void dereg_mr(const api& a, ibv_mr* p) {
  a.dereg_mr(p);
}
}  // namespace detail

using event_channel_ptr =
    std::unique_ptr<rdma_event_channel, deleter<rdma_event_channel, detail::destroy_event_channel>>;
// A cm_id and the QP created on it (rdma_create_qp), destroyed QP first.
using cm_id_ptr = std::unique_ptr<rdma_cm_id, deleter<rdma_cm_id, detail::destroy_id>>;
using pd_ptr = std::unique_ptr<ibv_pd, deleter<ibv_pd, detail::dealloc_pd>>;
using comp_channel_ptr =
    std::unique_ptr<ibv_comp_channel, deleter<ibv_comp_channel, detail::destroy_comp_channel>>;
using cq_ptr = std::unique_ptr<ibv_cq, deleter<ibv_cq, detail::destroy_cq>>;
using mr_ptr = std::unique_ptr<ibv_mr, deleter<ibv_mr, detail::dereg_mr>>;

template <class Ptr>
Ptr own(const api_ptr& a, typename Ptr::pointer p) {
  return Ptr(p, typename Ptr::deleter_type{a});
}

// Moves a QP to the error state: outstanding work requests flush, the RC
// responder drops further packets. Returns errno-style status.
int move_qp_to_error(const api& a, ibv_qp* qp);

// A numeric IPv4/IPv6 address and port as a sockaddr (no name lookup).
// Errors: invalid_argument.
[[nodiscard]] result<sockaddr_storage> numeric_address(const std::string& address,
                                                       std::uint16_t port);

// The device's limits on RDMA READs in flight per QP: as requester
// (max_qp_init_rd_atom) and as responder (max_qp_rd_atom); {1, 1} when the
// device cannot be queried.
struct rd_atomic_limits {
  std::uint8_t initiator = 1;
  std::uint8_t responder = 1;
};
rd_atomic_limits query_rd_atomic_limits(const api& a, ibv_context* device);

// Sets O_NONBLOCK on a descriptor (CM event channel, completion channel) so
// it can be driven from Asio. Errors: device_error.
[[nodiscard]] result<void> set_nonblocking(int fd);

}  // namespace kvgate::rdma::verbs
