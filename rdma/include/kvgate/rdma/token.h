// The x-amz-rdma-token header value (docs/rdma-protocol.md, "Token").
//
//   rc1 token: <addr:16 hex>:<len:16 hex>:rc1:<session:32 hex>:<rkey:8 hex>
//   e.g. 00007f3a5c000000:0000000002000000:rc1:7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7:0001a2b3
//
// Exactly 79 characters, fixed field widths, hex digits lowercase only: one
// spelling per token, so tokens and session ids compare and log byte-exactly.
// The end address addr + len must fit in 64 bits (addr + len <= 2^64 - 1).
//
// parse_token() answers:
//   - the rc1 fields, or
//   - rdma_errc::unsupported_transport for well-formed tokens of transports
//     we recognise but do not speak in this version: the 81-character
//     cuObject DC descriptor (with its tolerated ":<16hex>:<16hex>" suffix
//     and trailing ';'), the 88-hex-digit hipObject descriptor, and
//     "<16hex>:<16hex>:<tag>:..." with a tag other than rc1 (ofi1, rc2, ...);
//   - rdma_errc::malformed_token for everything else (400 InvalidRdmaToken).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/session_id.h"

namespace kvgate::rdma {

inline constexpr std::size_t kRc1TokenChars = 79;
// Longer header values are rejected before any parsing (Ceph's bound).
inline constexpr std::size_t kMaxTokenChars = 512;

struct rc1_token {
  std::uint64_t addr = 0;    // client virtual address of the window start
  std::uint64_t length = 0;  // window length in bytes
  session_id session;
  std::uint32_t rkey = 0;  // remote key of the client's memory region

  friend bool operator==(const rc1_token&, const rc1_token&) = default;
};

[[nodiscard]] result<rc1_token> parse_token(std::string_view value);

// The canonical 79-character form. Precondition: addr + length fits in 64 bits.
std::string format_token(const rc1_token& token);

}  // namespace kvgate::rdma
