// kvgate_rdma_selftest: exercises the verbs transport and the client
// connection against each other in one process, over a real RDMA device
// (soft-RoCE in tests/rdma_vm, or hardware). No HTTP, no storage: the
// protocol pieces the gateway will drive, end to end on the wire.
//
//   kvgate_rdma_selftest <address> [port] [bytes]
//
// <address> is the IP of an RDMA netdev (e.g. rxe0's). Prints one line per
// case ("PASS <case>" / "FAIL <case>: <why>") and a summary; exits 0 when
// every case passed, 1 otherwise, 77 when RDMA is not available here.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "kvgate/rdma/client_connection.h"
#include "kvgate/rdma/session_registry.h"
#include "kvgate/rdma/transfer.h"
#include "kvgate/rdma/verbs_transport.h"

using namespace kvgate::rdma;
namespace asio = boost::asio;

namespace {

int failures = 0;

void report(const char* name, bool ok, const std::string& why = {}) {
  if (ok) {
    std::printf("PASS %s\n", name);
  } else {
    ++failures;
    std::printf("FAIL %s: %s\n", name, why.c_str());
  }
  std::fflush(stdout);
}

std::string describe(const std::error_code& ec) {
  return ec.message();
}

void fill(std::span<std::byte> s, unsigned seed) {
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<std::byte>((i * 2654435761u + seed) >> 13);
}

asio::awaitable<result<std::uint64_t>> rdma_get(transfer_services& svc, rc1_token token,
                                                std::span<const std::byte> source) {
  auto t =
      rdma_transfer::begin(svc, token, "AK", transfer_direction::write_to_client, source.size());
  if (!t) co_return t.error();
  std::uint64_t offset = 0;
  while (true) {
    auto chunk = co_await t->async_next_chunk();
    if (!chunk || chunk->empty()) break;
    std::memcpy(chunk->data(), source.data() + offset, chunk->size());
    offset += chunk->size();
    if (!t->post_write()) break;
  }
  co_return co_await t->async_finish();
}

asio::awaitable<result<std::uint64_t>> rdma_put(transfer_services& svc, rc1_token token,
                                                std::span<std::byte> sink) {
  auto t =
      rdma_transfer::begin(svc, token, "AK", transfer_direction::read_from_client, sink.size());
  if (!t) co_return t.error();
  std::uint64_t offset = 0;
  while (true) {
    auto data = co_await t->async_next_read();
    if (!data || data->empty()) break;
    std::memcpy(sink.data() + offset, data->data(), data->size());
    offset += data->size();
  }
  co_return co_await t->async_finish();
}

template <class T>
T run_on(asio::io_context& io, asio::awaitable<T> a) {
  return asio::co_spawn(io, std::move(a), asio::use_future).get();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <address> [port] [bytes]\n", argv[0]);
    return 2;
  }
  verbs_config config;
  config.listen_address = argv[1];
  config.port = argc > 2 ? static_cast<std::uint16_t>(std::atoi(argv[2])) : 7471;
  const std::size_t bytes = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 32u << 20;

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  session_limits limits;
  limits.ttl = std::chrono::seconds(60);
  session_registry sessions(limits);
  auto net = verbs_transport::create(config, sessions, io.get_executor());
  if (!net) {
    std::printf("SKIP verbs transport: %s\n", describe(net.error()).c_str());
    work.reset();
    runner.join();
    return net.error() == rdma_errc::not_enabled ? 77 : 1;
  }
  std::weak_ptr<verbs_transport> weak = *net;
  sessions.set_end_observer([weak](const session_id& id) {
    if (auto t = weak.lock()) t->end_session(id);
  });
  auto staging = staging_pool::create(**net, {1 << 20, 16});
  report("staging pool registered", static_cast<bool>(staging),
         staging ? "" : describe(staging.error()));
  if (!staging) return 1;
  transfer_limits tl;
  tl.max_request_bytes = std::uint64_t{1} << 30;
  tl.completion_timeout = std::chrono::seconds(10);  // bounds the client-fenced case
  transfer_services services{**net, sessions, *staging, tl};

  client_connection_config client;
  client.listener = (*net)->listener();

  // A forged secret is refused, and burns nothing of the real session.
  const auto grant = sessions.create("AK").value();
  client.session = grant.id;
  client.secret = grant.secret;
  client.secret.bytes[0] ^= std::byte{0xff};
  auto forged = client_connection::connect(client);
  report("connect with a forged secret is rejected",
         !forged && forged.error() == rdma_errc::bad_secret,
         forged ? "accepted" : describe(forged.error()));

  client.secret = grant.secret;
  auto conn = client_connection::connect(client);
  report("connect with the session secret", static_cast<bool>(conn),
         conn ? "" : describe(conn.error()));
  if (!conn) return 1;
  auto replay = client_connection::connect(client);
  report("replayed secret is rejected", !replay, "accepted twice");

  std::vector<std::byte> client_memory(bytes + 8192);
  auto region = (*conn)->register_memory(client_memory);
  report("client memory registered", static_cast<bool>(region),
         region ? "" : describe(region.error()));
  if (!region) return 1;
  const rc1_token window{region->addr + 4096, bytes, grant.id, region->rkey};

  // GET: gateway RDMA-WRITEs into the window; guard bytes around it stay 0.
  std::vector<std::byte> object(bytes);
  fill(object, 1);
  auto t0 = std::chrono::steady_clock::now();
  auto got = run_on(io, rdma_get(services, window, object));
  auto t1 = std::chrono::steady_clock::now();
  const bool get_ok = got && *got == bytes &&
                      std::memcmp(client_memory.data() + 4096, object.data(), bytes) == 0 &&
                      std::all_of(client_memory.begin(), client_memory.begin() + 4096,
                                  [](std::byte b) { return b == std::byte{0}; }) &&
                      std::all_of(client_memory.end() - 4096, client_memory.end(),
                                  [](std::byte b) { return b == std::byte{0}; });
  report("RDMA GET lands byte-exact inside the window", get_ok,
         got ? "bytes differ" : describe(got.error()));
  const double get_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();

  // PUT: gateway RDMA-READs the window.
  fill({client_memory.data() + 4096, bytes}, 7);
  std::vector<std::byte> stored(bytes);
  t0 = std::chrono::steady_clock::now();
  auto put = run_on(io, rdma_put(services, window, stored));
  t1 = std::chrono::steady_clock::now();
  report(
      "RDMA PUT reads the window byte-exact",
      put && *put == bytes && std::memcmp(stored.data(), client_memory.data() + 4096, bytes) == 0,
      put ? "bytes differ" : describe(put.error()));
  const double put_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();

  // Another key naming this session: no-session, nothing moves.
  auto foreign =
      rdma_transfer::begin(services, window, "EVE", transfer_direction::write_to_client, bytes);
  report("a session of another key is no-session",
         !foreign && foreign.error() == rdma_errc::no_session, "admitted");

  // A wrong rkey is a remote access error: the transfer fails, the session
  // is fenced, and the next request is refused before anything is posted.
  rc1_token forged_rkey = window;
  forged_rkey.rkey ^= 0x5a5a5a5au;
  auto bad = run_on(io, rdma_get(services, forged_rkey, object));
  report("a wrong rkey fails the transfer", !bad && bad.error() == rdma_errc::transport_error,
         bad ? "succeeded" : describe(bad.error()));
  auto after =
      rdma_transfer::begin(services, window, "AK", transfer_direction::write_to_client, bytes);
  report("the session is fenced afterwards", !after && after.error() == rdma_errc::session_fenced,
         after ? "admitted" : describe(after.error()));
  bool disconnected = false;
  for (int i = 0; i < 100 && !disconnected; ++i) {
    disconnected = !(*conn)->connected();
    if (!disconnected) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  report("the client sees the disconnect", disconnected, "still connected after 5 s");

  // Window fencing from the client side (SDK rule 5): once the client moved
  // its QP to error, the gateway's WRITEs are dropped; the transfer fails
  // after the ACK retries, the session is fenced, nothing lands.
  {
    const auto g2 = sessions.create("AK").value();
    client.session = g2.id;
    client.secret = g2.secret;
    auto conn2 = client_connection::connect(client);
    report("second session connects", static_cast<bool>(conn2),
           conn2 ? "" : describe(conn2.error()));
    if (conn2) {
      std::vector<std::byte> memory2(bytes);
      auto region2 = (*conn2)->register_memory(memory2);
      if (region2) {
        (*conn2)->fence();
        const rc1_token w2{region2->addr, bytes, g2.id, region2->rkey};
        const auto start = std::chrono::steady_clock::now();
        auto fenced = run_on(io, rdma_get(services, w2, object));
        const double s2 =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        report("GET into a client-fenced window fails and writes nothing",
               !fenced && std::all_of(memory2.begin(), memory2.end(),
                                      [](std::byte b) { return b == std::byte{0}; }),
               fenced ? "succeeded" : "bytes landed");
        std::printf("INFO client-fenced GET failed after %.1f s: %s\n", s2,
                    fenced ? "-" : describe(fenced.error()).c_str());
        auto again =
            rdma_transfer::begin(services, w2, "AK", transfer_direction::write_to_client, bytes);
        report("that session is fenced", !again && again.error() == rdma_errc::session_fenced,
               again ? "admitted" : describe(again.error()));
      }
    }
  }

  std::printf("INFO %zu bytes: RDMA GET %.1f ms (%.0f MiB/s), RDMA PUT %.1f ms (%.0f MiB/s)\n",
              bytes, get_ms, bytes / 1048576.0 / (get_ms / 1000), put_ms,
              bytes / 1048576.0 / (put_ms / 1000));
  std::fflush(stdout);
  conn->reset();
  staging->reset();
  (*net)->stop();
  net->reset();
  work.reset();
  runner.join();
  std::printf("%s: %d failure(s)\n", failures == 0 ? "OK" : "FAILED", failures);
  std::fflush(stdout);
  return failures == 0 ? 0 : 1;
}
