// The rdma_cm private data of an rc1 connect request (docs/rdma-protocol.md,
// "Connecting queue pairs"). The client puts it in rdma_conn_param of
// rdma_connect(); the gateway accepts the queue pair only if the session's
// secret redeems.
//
//   offset  size  field
//        0     4  magic "KVR1" (0x4b 0x56 0x52 0x31)
//        4     1  version, 1
//        5     1  flags, 0 (receivers reject other values)
//        6     2  reserved, 0 (receivers reject other values)
//        8    16  session id (binary, the 32 hex digits of the token decoded)
//       24    16  connect secret (binary)
//   40 bytes. Over InfiniBand/RoCE CM the receiver may see the data padded
//   (up to 56 bytes for RC); bytes after offset 40 are ignored.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>

#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/session_id.h"

namespace kvgate::rdma {

class session_registry;
class rdma_session;

inline constexpr std::size_t kConnectPrivateDataBytes = 40;

struct connect_request {
  session_id session;
  connect_secret secret;
};

std::array<std::byte, kConnectPrivateDataBytes> encode_connect_request(const connect_request& r);

// Errors: bad_private_data (short, wrong magic/version/flags/reserved).
[[nodiscard]] result<connect_request> decode_connect_request(std::span<const std::byte> data);

// Decodes the private data and redeems the secret. Errors: bad_private_data,
// bad_secret. On success the session is marked connected.
[[nodiscard]] result<std::shared_ptr<rdma_session>> admit_connect_request(
    session_registry& registry, std::span<const std::byte> private_data);

}  // namespace kvgate::rdma
