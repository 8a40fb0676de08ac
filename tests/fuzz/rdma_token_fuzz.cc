// Fuzzes x-amz-rdma-token parsing. Invariants: a parsed rc1 token formats
// back to exactly the input (one canonical spelling), its window end fits in
// 64 bits, and every failure is malformed_token or unsupported_transport.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kvgate/rdma/token.h"

using namespace kvgate::rdma;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  const auto t = parse_token(value);
  if (t) {
    if (value.size() != kRc1TokenChars || format_token(*t) != value) std::abort();
    if (t->length > UINT64_MAX - t->addr) std::abort();
  } else if (t.error() != rdma_errc::malformed_token &&
             t.error() != rdma_errc::unsupported_transport) {
    std::abort();
  }
  return 0;
}
