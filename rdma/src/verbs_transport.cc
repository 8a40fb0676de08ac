#include "kvgate/rdma/verbs_transport.h"

#include <netinet/in.h>

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>

#include "kvgate/rdma/connect_request.h"
#include "kvgate/rdma/session_registry.h"
#include "verbs_api.h"

namespace kvgate::rdma {
namespace {

using completion_box = std::unique_ptr<asio::any_completion_handler<void(std::error_code)>>;

class verbs_registration final : public memory_registration {
 public:
  verbs_registration(std::shared_ptr<verbs_transport::impl> owner, verbs::mr_ptr mr,
                     std::span<std::byte> bytes)
      : owner_(std::move(owner)), mr_(std::move(mr)), bytes_(bytes) {}
  std::span<std::byte> bytes() const noexcept override { return bytes_; }
  std::uint32_t lkey() const noexcept override { return mr_->lkey; }

 private:
  std::shared_ptr<verbs_transport::impl> owner_;  // keeps the PD alive
  verbs::mr_ptr mr_;
  std::span<std::byte> bytes_;
};

}  // namespace

struct verbs_transport::impl : std::enable_shared_from_this<impl> {
  struct queued_work {
    bool write = true;
    remote_target remote;
    std::span<std::byte> local;
    std::uint32_t lkey = 0;
    completion_box handler;
  };

  struct connection {
    session_id session;
    verbs::cm_id_ptr id;  // owns the QP too
    bool established = false;
    bool ending = false;
    std::uint32_t outstanding = 0;
    std::deque<queued_work> backlog;
  };

  struct pending_work {
    session_id session;
    completion_box handler;
  };

  impl(const verbs_config& c, session_registry& s, const asio::any_io_executor& ex)
      : config(c), sessions(s), strand(asio::make_strand(ex)) {}

  ~impl() { teardown(); }

  const verbs_config config;
  session_registry& sessions;
  asio::strand<asio::any_io_executor> strand;

  verbs::api_ptr api;
  // Declaration order is destruction order reversed: connections go first
  // (teardown), then CQ, completion channel, PD, listener, event channel.
  verbs::event_channel_ptr channel;
  verbs::cm_id_ptr listener;
  verbs::pd_ptr pd;
  verbs::comp_channel_ptr completions;
  verbs::cq_ptr cq;
  std::optional<asio::posix::stream_descriptor> cm_fd;
  std::optional<asio::posix::stream_descriptor> cq_fd;
  listener_address bound;

  std::map<session_id, std::unique_ptr<connection>> connections;
  std::map<rdma_cm_id*, session_id> session_of_id;
  std::unordered_map<std::uint64_t, pending_work> pending;
  std::uint64_t next_wr_id = 1;
  unsigned unacked_cq_events = 0;
  bool stopped = false;

  result<void> open();
  // The loops own a reference to the transport state for as long as they run.
  static asio::awaitable<void> cm_loop(std::shared_ptr<impl> self);
  static asio::awaitable<void> cq_loop(std::shared_ptr<impl> self);
  void on_cm_events();
  void on_cm_event(rdma_cm_event* event);
  void on_connect_request(rdma_cm_event* event);
  void on_cq_event();
  void on_work_completion(const ibv_wc& wc);
  void post_work(const session_id& id, queued_work work);
  void pump(connection& c);
  void end_on_strand(const session_id& id);
  void destroy_if_drained(const session_id& id);
  void stop_on_strand();
  void teardown() noexcept;

  // Resumes the awaiting coroutine through its own executor, from a fresh
  // handler: never inline inside the CQ or CM loop, whose state the resumed
  // code may change. (Boost 1.81 cannot post an any_completion_handler
  // directly, so hop through the io executor and dispatch from there.)
  void complete(completion_box box, std::error_code ec) {
    asio::post(strand.get_inner_executor(), [h = std::move(box), ec]() mutable {
      asio::dispatch(asio::append(std::move(*h), ec));
    });
  }
};

result<void> verbs_transport::impl::open() {
  auto loaded = verbs::load({config.ibverbs_library, config.rdmacm_library});
  if (!loaded) return rdma_errc::not_enabled;
  api = std::move(*loaded);
  auto addr = verbs::numeric_address(config.listen_address, config.port);
  if (!addr) return addr.error();
  if ((addr->ss_family == AF_INET &&
       reinterpret_cast<const sockaddr_in*>(&*addr)->sin_addr.s_addr == htonl(INADDR_ANY)) ||
      (addr->ss_family == AF_INET6 &&
       IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&*addr)->sin6_addr)))
    return rdma_errc::invalid_argument;

  // No /dev/infiniband/rdma_cm: this host has no RDMA.
  channel = verbs::own<verbs::event_channel_ptr>(api, api->create_event_channel());
  if (!channel) return rdma_errc::not_enabled;
  if (auto ok = verbs::set_nonblocking(channel->fd); !ok) return ok;
  rdma_cm_id* raw_id = nullptr;
  if (api->create_id(channel.get(), &raw_id, nullptr, RDMA_PS_TCP) != 0)
    return rdma_errc::not_enabled;
  listener = verbs::own<verbs::cm_id_ptr>(api, raw_id);
  // Binding to an address without an RDMA device fails or leaves verbs null.
  if (api->bind_addr(listener.get(), reinterpret_cast<sockaddr*>(&*addr)) != 0 ||
      listener->verbs == nullptr)
    return rdma_errc::not_enabled;
  if (api->listen(listener.get(), config.listen_backlog) != 0) return rdma_errc::device_error;

  pd = verbs::own<verbs::pd_ptr>(api, api->alloc_pd(listener->verbs));
  completions = verbs::own<verbs::comp_channel_ptr>(api, api->create_comp_channel(listener->verbs));
  if (!pd || !completions) return rdma_errc::device_error;
  cq = verbs::own<verbs::cq_ptr>(
      api, api->create_cq(listener->verbs, static_cast<int>(config.cq_entries), nullptr,
                          completions.get(), 0));
  if (!cq) return rdma_errc::device_error;
  if (auto ok = verbs::set_nonblocking(completions->fd); !ok) return ok;
  if (ibv_req_notify_cq(cq.get(), 0) != 0) return rdma_errc::device_error;

  cm_fd.emplace(strand, channel->fd);
  cq_fd.emplace(strand, completions->fd);
  bound = {config.listen_address, config.port};
  return {};
}

asio::awaitable<void> verbs_transport::impl::cm_loop(std::shared_ptr<impl> self) {
  while (!self->stopped) {
    auto [ec] = co_await self->cm_fd->async_wait(asio::posix::descriptor_base::wait_read,
                                                 asio::as_tuple(asio::use_awaitable));
    if (ec || self->stopped) break;
    self->on_cm_events();
  }
}

void verbs_transport::impl::on_cm_events() {
  rdma_cm_event* event = nullptr;
  while (!stopped && api->get_cm_event(channel.get(), &event) == 0) on_cm_event(event);
}

void verbs_transport::impl::on_cm_event(rdma_cm_event* event) {
  rdma_cm_id* id = event->id;
  switch (event->event) {
    case RDMA_CM_EVENT_CONNECT_REQUEST:
      on_connect_request(event);  // acks the event itself
      return;
    case RDMA_CM_EVENT_ESTABLISHED: {
      const auto it = session_of_id.find(id);
      if (it != session_of_id.end()) {
        connection& c = *connections.at(it->second);
        c.established = true;
        pump(c);  // work posted between rdma_accept and ESTABLISHED
      }
      break;
    }
    case RDMA_CM_EVENT_DEVICE_REMOVAL:
      if (id == listener.get()) {
        api->ack_cm_event(event);
        stop_on_strand();
        return;
      }
      [[fallthrough]];
    case RDMA_CM_EVENT_DISCONNECTED:
    case RDMA_CM_EVENT_CONNECT_ERROR:
    case RDMA_CM_EVENT_UNREACHABLE:
    case RDMA_CM_EVENT_REJECTED:
    case RDMA_CM_EVENT_ADDR_CHANGE: {
      // A broken connection ends its session (fence -> end_session).
      const auto it = session_of_id.find(id);
      if (it != session_of_id.end()) {
        const session_id s = it->second;
        api->ack_cm_event(event);
        sessions.fence(s);
        end_on_strand(s);  // in case the session was already fenced/removed
        return;
      }
      break;
    }
    default:
      break;
  }
  api->ack_cm_event(event);
}

void verbs_transport::impl::on_connect_request(rdma_cm_event* event) {
  rdma_cm_id* id = event->id;
  const std::span<const std::byte> private_data(
      static_cast<const std::byte*>(event->param.conn.private_data),
      event->param.conn.private_data_len);
  // rdma_cm reports the request's depths from the listener's side: its
  // initiator_depth is what the client offered as responder resources.
  const std::uint8_t client_responder_resources = event->param.conn.initiator_depth;
  auto admitted = admit_connect_request(sessions, private_data);

  auto refuse = [&] {
    api->reject(id, nullptr, 0);
    api->ack_cm_event(event);
    api->destroy_id(id);  // after the ack, or destroy_id waits forever
    if (admitted) sessions.fence((*admitted)->id());
  };
  // The QP must live on the listener's device: the PD and CQ are there.
  if (!admitted || id->verbs != pd->context || connections.contains((*admitted)->id()))
    return refuse();

  ibv_qp_init_attr attr{};
  attr.send_cq = cq.get();
  attr.recv_cq = cq.get();
  attr.qp_type = IBV_QPT_RC;
  attr.cap.max_send_wr = config.max_send_wr;
  attr.cap.max_recv_wr = 1;
  attr.cap.max_send_sge = 1;
  attr.cap.max_recv_sge = 1;
  if (api->create_qp(id, pd.get(), &attr) != 0) return refuse();
  std::uint8_t ack_timeout = config.ack_timeout;
  api->set_option(id, RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT, &ack_timeout, sizeof ack_timeout);

  rdma_conn_param param{};
  // rdma_accept refuses depths above the device's limit.
  param.initiator_depth = std::min({config.max_rd_atomic, client_responder_resources,
                                    verbs::query_rd_atomic_limits(*api, id->verbs).initiator});
  param.responder_resources = 0;  // clients never read from the gateway
  param.retry_count = std::min<std::uint8_t>(config.retry_count, 7);
  param.rnr_retry_count = std::min<std::uint8_t>(config.rnr_retry_count, 7);
  if (api->accept(id, &param) != 0) {
    api->destroy_qp(id);
    return refuse();
  }
  api->ack_cm_event(event);

  auto c = std::make_unique<connection>();
  c->session = (*admitted)->id();
  c->id = verbs::own<verbs::cm_id_ptr>(api, id);
  session_of_id.emplace(id, c->session);
  connections.emplace(c->session, std::move(c));
}

asio::awaitable<void> verbs_transport::impl::cq_loop(std::shared_ptr<impl> self) {
  while (!self->stopped) {
    auto [ec] = co_await self->cq_fd->async_wait(asio::posix::descriptor_base::wait_read,
                                                 asio::as_tuple(asio::use_awaitable));
    if (ec || self->stopped) break;
    self->on_cq_event();
  }
}

// Kept out of the coroutine (g++ 12 misreports the frame's operator delete
// as mismatched when the verbs inlines live in a coroutine body).
void verbs_transport::impl::on_cq_event() {
  ibv_cq* event_cq = nullptr;
  void* context = nullptr;
  while (api->get_cq_event(completions.get(), &event_cq, &context) == 0) ++unacked_cq_events;
  if (unacked_cq_events >= 64) {
    api->ack_cq_events(cq.get(), unacked_cq_events);
    unacked_cq_events = 0;
  }
  // Re-arm before draining, so a completion arriving meanwhile raises an event.
  ibv_req_notify_cq(cq.get(), 0);
  ibv_wc wcs[32];
  int n = 0;
  while ((n = ibv_poll_cq(cq.get(), 32, wcs)) > 0)
    for (int i = 0; i < n; ++i) on_work_completion(wcs[i]);
}

void verbs_transport::impl::on_work_completion(const ibv_wc& wc) {
  const auto it = pending.find(wc.wr_id);
  if (it == pending.end()) return;
  pending_work work = std::move(it->second);
  pending.erase(it);
  const bool ok = wc.status == IBV_WC_SUCCESS;
  complete(std::move(work.handler), ok ? std::error_code{} : rdma_errc::transport_error);
  if (const auto d = connections.find(work.session); d != connections.end())
    --d->second->outstanding;
  if (!ok) {
    sessions.fence(work.session);  // a QP in error ends its session
    end_on_strand(work.session);   // may destroy the connection: find it again below
  }
  const auto c = connections.find(work.session);
  if (c == connections.end()) return;
  if (c->second->ending)
    destroy_if_drained(work.session);
  else
    pump(*c->second);
}

void verbs_transport::impl::post_work(const session_id& id, queued_work work) {
  const auto it = connections.find(id);
  // Work for an accepted but not yet ESTABLISHED connection waits in the
  // backlog: the client may see ESTABLISHED (and send its request) first.
  if (stopped || it == connections.end()) {
    complete(std::move(work.handler), rdma_errc::not_connected);
    return;
  }
  if (it->second->ending) {
    complete(std::move(work.handler), rdma_errc::transport_error);
    return;
  }
  it->second->backlog.push_back(std::move(work));
  pump(*it->second);
}

void verbs_transport::impl::pump(connection& c) {
  while (c.established && !c.ending && !c.backlog.empty() && c.outstanding < config.max_send_wr) {
    queued_work work = std::move(c.backlog.front());
    c.backlog.pop_front();
    const std::uint64_t wr_id = next_wr_id++;
    ibv_sge sge{};
    sge.addr = reinterpret_cast<std::uintptr_t>(work.local.data());
    sge.length = static_cast<std::uint32_t>(work.local.size());
    sge.lkey = work.lkey;
    ibv_send_wr wr{};
    wr.wr_id = wr_id;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = work.write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
    wr.send_flags = IBV_SEND_SIGNALED;
    wr.wr.rdma.remote_addr = work.remote.addr;
    wr.wr.rdma.rkey = work.remote.rkey;
    ibv_send_wr* bad = nullptr;
    if (ibv_post_send(c.id->qp, &wr, &bad) != 0) {
      complete(std::move(work.handler), rdma_errc::transport_error);
      const session_id s = c.session;
      sessions.fence(s);
      end_on_strand(s);
      return;
    }
    pending.emplace(wr_id, pending_work{c.session, std::move(work.handler)});
    ++c.outstanding;
  }
}

void verbs_transport::impl::end_on_strand(const session_id& id) {
  const auto it = connections.find(id);
  if (it == connections.end() || it->second->ending) return;
  connection& c = *it->second;
  c.ending = true;
  // QP to error first: the responder side is dead to us from here, and every
  // outstanding work request flushes into the CQ.
  if (c.id->qp != nullptr) verbs::move_qp_to_error(*api, c.id->qp);
  api->disconnect(c.id.get());
  for (auto& work : c.backlog) complete(std::move(work.handler), rdma_errc::transport_error);
  c.backlog.clear();
  destroy_if_drained(id);
}

void verbs_transport::impl::destroy_if_drained(const session_id& id) {
  const auto it = connections.find(id);
  if (it == connections.end() || it->second->outstanding > 0) return;
  session_of_id.erase(it->second->id.get());
  connections.erase(it);  // destroys QP and cm_id
}

void verbs_transport::impl::stop_on_strand() {
  if (stopped) return;
  stopped = true;
  if (cm_fd) cm_fd->cancel();
  if (cq_fd) cq_fd->cancel();
  for (auto& [id, c] : connections) {
    c->ending = true;
    if (c->id->qp != nullptr) verbs::move_qp_to_error(*api, c->id->qp);
    for (auto& work : c->backlog) complete(std::move(work.handler), rdma_errc::transport_error);
    c->backlog.clear();
  }
  // Nobody polls the CQ any more: fail what is outstanding.
  for (auto& [wr_id, work] : pending) complete(std::move(work.handler), rdma_errc::transport_error);
  pending.clear();
}

void verbs_transport::impl::teardown() noexcept {
  // The descriptors belong to the channels: release, never close, them.
  if (cm_fd) (void)cm_fd->release();
  if (cq_fd) (void)cq_fd->release();
  cm_fd.reset();
  cq_fd.reset();
  session_of_id.clear();
  connections.clear();
  if (cq && unacked_cq_events > 0) api->ack_cq_events(cq.get(), unacked_cq_events);
  unacked_cq_events = 0;
  cq.reset();
  completions.reset();
  pd.reset();
  listener.reset();
  channel.reset();
}

result<std::shared_ptr<verbs_transport>> verbs_transport::create(
    const verbs_config& config, session_registry& sessions, const asio::any_io_executor& executor) {
  auto i = std::make_shared<impl>(config, sessions, executor);
  if (auto ok = i->open(); !ok) return ok.error();
  asio::co_spawn(i->strand, impl::cm_loop(i), asio::detached);
  asio::co_spawn(i->strand, impl::cq_loop(i), asio::detached);
  return std::shared_ptr<verbs_transport>(new verbs_transport(std::move(i)));
}

verbs_transport::~verbs_transport() {
  stop();
}

listener_address verbs_transport::listener() const {
  return impl_->bound;
}

void verbs_transport::stop() {
  asio::post(impl_->strand, [i = impl_] { i->stop_on_strand(); });
}

result<std::unique_ptr<memory_registration>> verbs_transport::register_memory(
    std::span<std::byte> bytes) {
  const auto& api = impl_->api;
  auto mr = verbs::own<verbs::mr_ptr>(
      api, api->reg_mr(impl_->pd.get(), bytes.data(), bytes.size(), IBV_ACCESS_LOCAL_WRITE));
  if (!mr) return rdma_errc::device_error;
  return std::unique_ptr<memory_registration>(
      std::make_unique<verbs_registration>(impl_, std::move(mr), bytes));
}

asio::awaitable<result<void>> verbs_transport::async_write_to_client(
    const rdma_session& session, remote_target remote, std::span<const std::byte> local,
    const memory_registration& registration) {
  // An RDMA WRITE only reads `local`; verbs' SGE is not const-qualified.
  co_return co_await async_post(
      session, true, remote,
      std::span<std::byte>(const_cast<std::byte*>(local.data()), local.size()), registration);
}

asio::awaitable<result<void>> verbs_transport::async_read_from_client(
    const rdma_session& session, remote_target remote, std::span<std::byte> local,
    const memory_registration& registration) {
  co_return co_await async_post(session, false, remote, local, registration);
}

asio::awaitable<result<void>> verbs_transport::async_post(const rdma_session& session, bool write,
                                                          remote_target remote,
                                                          std::span<std::byte> local,
                                                          const memory_registration& registration) {
  if (local.size() > kMaxWorkRequestBytes) co_return rdma_errc::invalid_argument;
  // Only trivially destructible captures: g++ 12 may destroy temporaries of
  // a co_await expression twice (GCC PR 99576), which would over-release a
  // captured shared_ptr. The shared state is re-acquired inside.
  auto [ec] = co_await asio::async_initiate<const asio::as_tuple_t<asio::use_awaitable_t<>>&,
                                            void(std::error_code)>(
      [state = impl_.get(), id = session.id(), write, remote, local,
       lkey = registration.lkey()](auto handler) {
        impl::queued_work work;
        work.write = write;
        work.remote = remote;
        work.local = local;
        work.lkey = lkey;
        work.handler = std::make_unique<asio::any_completion_handler<void(std::error_code)>>(
            std::move(handler));
        auto i = state->shared_from_this();
        asio::post(i->strand, [i, id, work = std::move(work)]() mutable {
          i->post_work(id, std::move(work));
        });
      },
      asio::as_tuple(asio::use_awaitable));
  if (ec) co_return ec;
  co_return result<void>{};
}

void verbs_transport::end_session(const session_id& id) {
  asio::post(impl_->strand, [i = impl_, id] { i->end_on_strand(id); });
}

}  // namespace kvgate::rdma
