#include "kvgate/rdma/connect_request.h"

#include <algorithm>

#include "kvgate/rdma/session_registry.h"

namespace kvgate::rdma {
namespace {

constexpr std::array<std::byte, 4> kMagic{std::byte{'K'}, std::byte{'V'}, std::byte{'R'},
                                          std::byte{'1'}};
constexpr std::byte kVersion{1};
constexpr std::size_t kSessionOffset = 8;
constexpr std::size_t kSecretOffset = kSessionOffset + kSessionIdBytes;
static_assert(kSecretOffset + kConnectSecretBytes == kConnectPrivateDataBytes);

}  // namespace

std::array<std::byte, kConnectPrivateDataBytes> encode_connect_request(const connect_request& r) {
  std::array<std::byte, kConnectPrivateDataBytes> out{};
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  out[4] = kVersion;
  std::copy(r.session.bytes.begin(), r.session.bytes.end(), out.begin() + kSessionOffset);
  std::copy(r.secret.bytes.begin(), r.secret.bytes.end(), out.begin() + kSecretOffset);
  return out;
}

result<connect_request> decode_connect_request(std::span<const std::byte> data) {
  if (data.size() < kConnectPrivateDataBytes) return rdma_errc::bad_private_data;
  if (!std::equal(kMagic.begin(), kMagic.end(), data.begin()) || data[4] != kVersion ||
      data[5] != std::byte{0} || data[6] != std::byte{0} || data[7] != std::byte{0})
    return rdma_errc::bad_private_data;
  connect_request r;
  std::copy_n(data.begin() + kSessionOffset, kSessionIdBytes, r.session.bytes.begin());
  std::copy_n(data.begin() + kSecretOffset, kConnectSecretBytes, r.secret.bytes.begin());
  return r;
}

result<std::shared_ptr<rdma_session>> admit_connect_request(session_registry& registry,
                                                            std::span<const std::byte> data) {
  auto request = decode_connect_request(data);
  if (!request) return request.error();
  return registry.redeem(request->session, request->secret);
}

}  // namespace kvgate::rdma
