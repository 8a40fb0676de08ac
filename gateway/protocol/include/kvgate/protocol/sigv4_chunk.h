// The SigV4 streaming signature chain for aws-chunked bodies
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]). Each chunk's signature is
// an HMAC over "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous
// signature>\n<sha256("")>\n<sha256(chunk)>", the first "previous" being the
// seed (request) signature; the trailer uses "AWS4-HMAC-SHA256-TRAILER\n<date>
// \n<scope>\n<previous>\n<sha256(trailer lines)>".
//
// Used by the decoder (verify) and by the SDK (sign): one implementation.
// A value type; not thread-safe; the chain advances on every call.
#pragma once

#include <string>

#include "kvgate/protocol/sigv4.h"

namespace kvgate::protocol {

class sigv4_chunk_chain {
 public:
  sigv4_chunk_chain(signing_key key, std::string amz_date, std::string scope,
                    std::string seed_signature);

  // Signature of the next chunk whose data hashes to chunk_sha256; becomes "previous".
  std::string sign_chunk(const sha256_digest& chunk_sha256);
  // Signature of the trailer; trailer_sha256 is over "name:value\n" per trailer line.
  std::string sign_trailer(const sha256_digest& trailer_sha256);

  // Constant-time check of a received signature; advances only on success.
  bool verify_chunk(const sha256_digest& chunk_sha256, std::string_view received);
  bool verify_trailer(const sha256_digest& trailer_sha256, std::string_view received);

  const std::string& previous_signature() const noexcept { return previous_; }

 private:
  std::string compute(std::string_view algorithm_line, std::string_view hashes) const;

  signing_key key_;
  std::string amz_date_;
  std::string scope_;
  std::string previous_;
};

}  // namespace kvgate::protocol
