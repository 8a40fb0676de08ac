// SigV4 streaming chunk/trailer signature chain.
#include "kvgate/protocol/sigv4_chunk.h"

namespace kvgate::protocol {

sigv4_chunk_chain::sigv4_chunk_chain(signing_key key, std::string amz_date, std::string scope,
                                     std::string seed_signature)
    : key_(key),
      amz_date_(std::move(amz_date)),
      scope_(std::move(scope)),
      previous_(std::move(seed_signature)) {}

std::string sigv4_chunk_chain::compute(std::string_view algorithm_line,
                                       std::string_view hashes) const {
  std::string sts;
  sts.reserve(256);
  sts.append(algorithm_line)
      .append("\n")
      .append(amz_date_)
      .append("\n")
      .append(scope_)
      .append("\n");
  sts.append(previous_).append("\n").append(hashes);
  return sign(key_, sts);
}

std::string sigv4_chunk_chain::sign_chunk(const sha256_digest& chunk_sha256) {
  previous_ = compute("AWS4-HMAC-SHA256-PAYLOAD",
                      std::string(kEmptySha256) + "\n" + hex_encode(chunk_sha256));
  return previous_;
}

std::string sigv4_chunk_chain::sign_trailer(const sha256_digest& trailer_sha256) {
  previous_ = compute("AWS4-HMAC-SHA256-TRAILER", hex_encode(trailer_sha256));
  return previous_;
}

bool sigv4_chunk_chain::verify_chunk(const sha256_digest& chunk_sha256, std::string_view received) {
  std::string expected = compute("AWS4-HMAC-SHA256-PAYLOAD",
                                 std::string(kEmptySha256) + "\n" + hex_encode(chunk_sha256));
  if (!constant_time_equal(expected, received)) return false;
  previous_ = std::move(expected);
  return true;
}

bool sigv4_chunk_chain::verify_trailer(const sha256_digest& trailer_sha256,
                                       std::string_view received) {
  std::string expected = compute("AWS4-HMAC-SHA256-TRAILER", hex_encode(trailer_sha256));
  if (!constant_time_equal(expected, received)) return false;
  previous_ = std::move(expected);
  return true;
}

}  // namespace kvgate::protocol
