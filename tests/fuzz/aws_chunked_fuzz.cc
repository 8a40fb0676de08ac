// Fuzzes the aws-chunked decoder in all three modes. Input layout:
//   byte 0      mode (mod 3)
//   byte 1      number of split points (mod 8)
//   next 2*n    split offsets (little-endian 16-bit, clamped)
//   byte        whether to enforce a decoded length, then 2 bytes of length
//   rest        the body
// Invariants: payload spans stay inside the input, consumed never exceeds the
// input, the payload total equals decoded_bytes().
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "kvgate/protocol/aws_chunked.h"

using namespace kvgate::protocol;

namespace {

struct reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in{data, size};
  const auto mode = static_cast<aws_chunked_mode>(in.byte() % 3);
  const std::size_t splits = in.byte() % 8;
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < splits; ++i) cuts.push_back(in.byte() | std::size_t{in.byte()} << 8);
  std::optional<std::uint64_t> length;
  if (in.byte() & 1) length = in.byte() | std::uint64_t{in.byte()} << 8;
  const byte_view body(in.p, in.n);
  for (auto& c : cuts) c = std::min(c, body.size());
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(body.size());

  const aws_chunked_limits limits{256, 1024};
  auto decoder = mode == aws_chunked_mode::unsigned_trailer
                     ? aws_chunked_decoder(length, limits)
                     : aws_chunked_decoder(
                           mode,
                           sigv4_chunk_chain(derive_signing_key("secret", "20130524", "r", "s3"),
                                             "20130524T000000Z", "20130524/r/s3/aws4_request",
                                             std::string(64, '0')),
                           length, limits);
  std::uint64_t total = 0;
  std::size_t start = 0;
  for (std::size_t end : cuts) {
    byte_view piece = body.subspan(start, end - start);
    start = end;
    while (!piece.empty()) {
      auto step = decoder.decode(piece);
      if (!step) {
        (void)decoder.finish();
        return 0;
      }
      if (step->consumed > piece.size()) std::abort();
      if (!step->payload.empty() &&
          (step->payload.data() < piece.data() ||
           step->payload.data() + step->payload.size() > piece.data() + step->consumed)) {
        std::abort();
      }
      if (step->consumed == 0) std::abort();  // no progress on non-empty input
      total += step->payload.size();
      piece = piece.subspan(step->consumed);
    }
  }
  if (total != decoder.decoded_bytes()) std::abort();
  if (decoder.finish() && length && total != *length) std::abort();
  return 0;
}
