// How the SDK reads RDMA-carrying responses (sdk/src/rdma_replies.h) and
// keeps registered memory and its session (sdk/src/rdma_memory.h), with a
// fake link standing in for the queue pair.
#include "rdma_replies.h"

#include <catch2/catch.hpp>
#include <vector>

#include "kvgate/rdma/token.h"
#include "rdma_memory.h"

using namespace kvgate::sdk;
using namespace kvgate::sdk::detail;
using kvgate::rdma::decline_reason;

namespace {

rdma_response_view view(unsigned status, std::string_view reply, std::string_view reason = {},
                        std::string_view bytes = {}, std::string_view code = {},
                        std::uint64_t body = 0) {
  return {status, reply, reason, bytes, code, body};
}

// A queue pair that records what the registry asks of it.
struct fake_link_state {
  std::vector<std::uint32_t> registered, deregistered;
  bool fenced = false;
  bool connected = true;
  std::uint32_t next_rkey = 0x100;
};

class fake_link final : public rdma_link {
 public:
  explicit fake_link(fake_link_state& s) : s_(s) {}
  kvgate::rdma::result<std::uint32_t> register_memory(std::span<std::byte>) override {
    s_.registered.push_back(s_.next_rkey);
    return s_.next_rkey++;
  }
  void deregister_memory(std::span<std::byte>, std::uint32_t rkey) override {
    s_.deregistered.push_back(rkey);
  }
  void fence() override { s_.fenced = true; }
  bool connected() override { return s_.connected && !s_.fenced; }

 private:
  fake_link_state& s_;
};

std::shared_ptr<live_session> session_with(fake_link_state& s,
                                           std::string node = "http://gw:9000") {
  kvgate::rdma::session_created grant;
  grant.session.bytes[0] = std::byte{0x7f};
  return std::make_shared<live_session>(std::move(node), grant, std::make_unique<fake_link>(s));
}

}  // namespace

TEST_CASE("completed GET and PUT replies carry the bytes moved", "[sdk][rdma]") {
  auto get = classify_rdma_response(view(200, "200", {}, "33554432"), rdma_operation::get, 1);
  REQUIRE(get);
  CHECK(get->kind == reply_kind::completed);
  CHECK(get->bytes == 33554432);
  auto ranged = classify_rdma_response(view(206, "206", {}, "5"), rdma_operation::get, 2);
  REQUIRE(ranged);
  CHECK(ranged->kind == reply_kind::completed);
  CHECK(ranged->attempt == 2);
  // A completion without a count is never read as success.
  auto no_count = classify_rdma_response(view(200, "200"), rdma_operation::put, 1);
  REQUIRE(no_count);
  CHECK(no_count->kind == reply_kind::transfer_failed);
}

TEST_CASE("every decline reason is read, with the GET body fallback", "[sdk][rdma]") {
  for (auto reason : kvgate::rdma::kAllDeclineReasons) {
    const auto name = kvgate::rdma::to_string(reason);
    auto body =
        classify_rdma_response(view(200, "501", name, {}, {}, 1000), rdma_operation::get, 1);
    REQUIRE(body);
    CHECK(body->kind == reply_kind::declined);
    CHECK(body->reason == reason);
    CHECK(body->body_delivered);
    auto put =
        classify_rdma_response(view(501, "501", name, {}, "RdmaDeclined"), rdma_operation::put, 1);
    REQUIRE(put);
    CHECK(put->kind == reply_kind::declined);
    CHECK(put->reason == reason);
    CHECK_FALSE(put->body_delivered);
  }
  auto busy = classify_rdma_response(view(503, "501", "busy"), rdma_operation::put, 1);
  REQUIRE(busy);
  CHECK(busy->reason == decline_reason::busy);
}

TEST_CASE("failed transfers, bad tokens and plain S3 answers", "[sdk][rdma]") {
  auto failed = classify_rdma_response(
      view(500, "501", "transport-error", {}, "RdmaTransferFailed"), rdma_operation::put, 1);
  REQUIRE(failed);
  CHECK(failed->kind == reply_kind::transfer_failed);
  auto bare =
      classify_rdma_response(view(500, {}, {}, {}, "RdmaTransferFailed"), rdma_operation::get, 1);
  REQUIRE(bare);
  CHECK(bare->kind == reply_kind::transfer_failed);
  auto token =
      classify_rdma_response(view(400, {}, {}, {}, "InvalidRdmaToken"), rdma_operation::get, 1);
  REQUIRE(token);
  CHECK(token->kind == reply_kind::malformed_token);
  // The operation's own errors are not RDMA events.
  CHECK_FALSE(classify_rdma_response(view(404, {}, {}, {}, "NoSuchKey"), rdma_operation::get, 1));
  CHECK_FALSE(
      classify_rdma_response(view(412, {}, {}, {}, "PreconditionFailed"), rdma_operation::put, 1));
  CHECK(rdma_no_response(true, rdma_operation::get, 1).kind == reply_kind::timed_out);
  CHECK(rdma_no_response(false, rdma_operation::put, 2).kind == reply_kind::connection_lost);
}

TEST_CASE("registered memory follows the session: register, token, deregister", "[sdk][rdma]") {
  rdma_memory_registry registry;
  std::vector<std::byte> a(1 << 20), b(4096);
  const auto ida = registry.add(a);
  CHECK_FALSE(registry.empty());
  // Regions are found for any window inside them, never across their end.
  REQUIRE(registry.find(a.data() + 100, 1000));
  CHECK(registry.find(a.data() + 100, 1000)->id == ida);
  CHECK_FALSE(registry.find(a.data() + 100, a.size()));
  CHECK_FALSE(registry.find(b.data(), 1));

  fake_link_state link;
  auto installed = registry.install(session_with(link));
  REQUIRE(installed);
  CHECK(link.registered.size() == 1);  // the region registered at connect
  const auto idb = registry.add(b);    // and a later one at once
  CHECK(link.registered.size() == 2);
  auto session = registry.current("http://gw:9000");
  REQUIRE(session);
  auto region = registry.find(a.data() + 4096, 8192);
  REQUIRE(region);
  auto token = session->token(*region, a.data() + 4096, 8192);
  REQUIRE(token);
  auto parsed = kvgate::rdma::parse_token(*token);
  REQUIRE(parsed.has_value());
  CHECK(parsed->addr == reinterpret_cast<std::uint64_t>(a.data() + 4096));
  CHECK(parsed->length == 8192);
  CHECK(parsed->rkey == link.registered[0]);

  registry.remove(idb);
  CHECK(link.deregistered == std::vector<std::uint32_t>{link.registered[1]});
  CHECK_FALSE(registry.find(b.data(), 1));
  (void)ida;
}

TEST_CASE("a fenced or disconnected session is dropped and never used again", "[sdk][rdma]") {
  rdma_memory_registry registry;
  std::vector<std::byte> a(65536);
  registry.add(a);
  fake_link_state first;
  auto s1 = registry.install(session_with(first));
  REQUIRE(s1);
  const auto region = *registry.find(a.data(), a.size());
  registry.drop(*s1, /*fence=*/true);
  CHECK(first.fenced);                                    // QP to error before reuse
  CHECK_FALSE((*s1)->token(region, a.data(), a.size()));  // no token on a fenced session
  CHECK_FALSE(registry.current("http://gw:9000"));

  fake_link_state second;
  auto s2 = registry.install(session_with(second));
  REQUIRE(s2);
  CHECK(registry.current("http://gw:9000") == *s2);
  second.connected = false;  // the gateway disconnected
  CHECK_FALSE(registry.current("http://gw:9000"));

  // A session connected while another usable one became current is not installed.
  fake_link_state third, fourth;
  auto s3 = registry.install(session_with(third));
  REQUIRE(s3);
  auto s4 = registry.install(session_with(fourth));
  REQUIRE(s4);
  CHECK(*s4 == *s3);
  CHECK(fourth.registered.empty());

  // Single flight for creating sessions.
  CHECK(registry.begin_creation("http://gw:9000"));
  CHECK_FALSE(registry.begin_creation("http://gw:9000"));
  registry.end_creation("http://gw:9000");
  CHECK_FALSE(registry.creating("http://gw:9000"));
}

TEST_CASE("one session per node: regions registered with each, dropped and created per node",
          "[sdk][rdma]") {
  // Direct cluster routing: the client holds a session to every owner node
  // it sends RDMA transfers to, each in its own protection domain.
  rdma_memory_registry registry;
  std::vector<std::byte> a(1 << 16), b(4096);
  const auto ida = registry.add(a);
  fake_link_state n1, n2;
  auto s1 = registry.install(session_with(n1, "http://n1:9000"));
  auto s2 = registry.install(session_with(n2, "http://n2:9000"));
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK(*s1 != *s2);  // the second node's session did not replace the first's
  CHECK(registry.session_count() == 2);
  CHECK(registry.current("http://n1:9000") == *s1);
  CHECK(registry.current("http://n2:9000") == *s2);
  CHECK_FALSE(registry.current("http://n3:9000"));
  CHECK(n1.registered.size() == 1);
  CHECK(n2.registered.size() == 1);

  const auto idb = registry.add(b);  // a later region: registered with both at once
  CHECK(n1.registered.size() == 2);
  CHECK(n2.registered.size() == 2);
  const auto region = *registry.find(b.data(), b.size());
  auto t1 = (*s1)->token(region, b.data(), b.size());
  auto t2 = (*s2)->token(region, b.data(), b.size());
  REQUIRE(t1);
  REQUIRE(t2);
  CHECK(kvgate::rdma::parse_token(*t1)->rkey == n1.registered[1]);
  CHECK(kvgate::rdma::parse_token(*t2)->rkey == n2.registered[1]);

  registry.remove(idb);  // deregistered from both
  CHECK(n1.deregistered == std::vector<std::uint32_t>{n1.registered[1]});
  CHECK(n2.deregistered == std::vector<std::uint32_t>{n2.registered[1]});

  // Fencing one node's session leaves the other's alone.
  registry.drop(*s1, /*fence=*/true);
  CHECK(n1.fenced);
  CHECK_FALSE(n2.fenced);
  CHECK_FALSE(registry.current("http://n1:9000"));
  CHECK(registry.current("http://n2:9000") == *s2);

  // Creation is single-flight per node, not across nodes.
  CHECK(registry.begin_creation("http://n1:9000"));
  CHECK(registry.begin_creation("http://n2:9000"));
  CHECK_FALSE(registry.begin_creation("http://n1:9000"));
  registry.end_creation("http://n1:9000");
  CHECK_FALSE(registry.creating("http://n1:9000"));
  CHECK(registry.creating("http://n2:9000"));
  (void)ida;
}
