// What of the verbs transport runs without RDMA hardware: library loading
// failures and hosts without an rdma_cm device report not_enabled.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "kvgate/rdma/client_connection.h"
#include "kvgate/rdma/reply.h"
#include "kvgate/rdma/session_registry.h"
#include "kvgate/rdma/verbs_transport.h"
#include "result_string_maker.h"

using namespace kvgate::rdma;

TEST_CASE("missing verbs libraries mean not-enabled", "[rdma][verbs]") {
  boost::asio::io_context io;
  session_registry sessions({});
  verbs_config config;
  config.listen_address = "127.0.0.1";
  config.ibverbs_library = "libkvgate-no-such-ibverbs.so.1";
  auto t = verbs_transport::create(config, sessions, io.get_executor());
  REQUIRE_FALSE(t);
  CHECK(t.error() == rdma_errc::not_enabled);
  CHECK(decline_reason_for(t.error()) == decline_reason::not_enabled);

  config.ibverbs_library = "libibverbs.so.1";
  config.rdmacm_library = "libkvgate-no-such-rdmacm.so.1";
  CHECK(verbs_transport::create(config, sessions, io.get_executor()).error() ==
        rdma_errc::not_enabled);

  client_connection_config client;
  client.listener = {"127.0.0.1", 7471};
  client.ibverbs_library = "libkvgate-no-such-ibverbs.so.1";
  CHECK(client_connection::connect(client).error() == rdma_errc::not_enabled);
}

TEST_CASE("a host without an RDMA device reports not-enabled", "[rdma][verbs]") {
  if (std::filesystem::exists("/dev/infiniband/rdma_cm")) {
    WARN("skipped: this host has /dev/infiniband/rdma_cm (covered by tests/rdma_vm)");
    return;
  }
  boost::asio::io_context io;
  session_registry sessions({});
  verbs_config config;
  config.listen_address = "127.0.0.1";
  // libibverbs may be installed (it is on the build host) or not: either way
  // there is no device, so the answer is the same.
  const auto t = verbs_transport::create(config, sessions, io.get_executor());
  REQUIRE_FALSE(t);
  CHECK(t.error() == rdma_errc::not_enabled);
}

TEST_CASE("wildcard and non-numeric listener addresses are refused", "[rdma][verbs]") {
  boost::asio::io_context io;
  session_registry sessions({});
  verbs_config config;
  for (const char* address : {"0.0.0.0", "::", "rdma-host.example", ""}) {
    INFO(address);
    config.listen_address = address;
    const auto t = verbs_transport::create(config, sessions, io.get_executor());
    REQUIRE_FALSE(t);
    // Without libibverbs the libraries are checked first.
    CHECK((t.error() == rdma_errc::invalid_argument || t.error() == rdma_errc::not_enabled));
  }
}
