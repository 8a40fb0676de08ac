// The request-body pipeline of uploads: reads the HTTP body (already
// de-chunked by the core) in bounded pieces, strips aws-chunked framing
// (verifying chunk signatures), and runs the digests the request needs over
// the payload: MD5 (ETag, Content-MD5), SHA-256 (hex x-amz-content-sha256)
// and at most one x-amz-checksum-* algorithm (header or trailer).
//
// Usage: plan_body() before the first read (fails early on malformed
// checksum headers, so errors go out before "100 Continue"); then either
// async_next() until it returns an empty span (spans point into the
// pipeline's own buffer and stay valid until the next call), or
// async_fill() into the caller's buffers until it returns 0 (uploads: whole
// buffers per storage hand-off, see body_upload.h). Feed every payload byte to
// digests.update(), then finish() checks what the client claimed. Do not mix
// the two reading styles. One per request, used from the request coroutine
// only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kvgate/erasure/object.h"
#include "kvgate/gateway/cache_config.h"
#include "kvgate/gateway/request_handler.h"
#include "kvgate/protocol/aws_chunked.h"
#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/s3_error.h"
#include "kvgate/s3/s3_request.h"

namespace kvgate::s3 {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// An S3 error with a message, the failure type of the upload path.
struct s3_failure {
  protocol::s3_error error;
  std::string message;
};

// What the request headers say about the body.
struct body_plan {
  std::optional<protocol::aws_chunked_mode> chunked;     // aws-chunked framing
  std::optional<std::uint64_t> decoded_length;           // object size if known
  std::optional<std::string> sha256_hex;                 // hex x-amz-content-sha256
  std::optional<protocol::bytes> content_md5;            // decoded Content-MD5
  std::optional<protocol::checksum_algorithm> checksum;  // x-amz-checksum-* to verify
  std::optional<std::string> checksum_value;             // header value; empty = in trailer
};

// Reads the body-related headers. Errors: InvalidDigest (Content-MD5),
// InvalidRequest (checksum headers), InvalidArgument / MissingContentLength.
boost::system::result<body_plan, s3_failure> plan_body(const s3_request& req,
                                                       const http::request_header<>& header,
                                                       std::optional<std::uint64_t> content_length);

// The running digests of one payload. The ETag digest follows `etag`
// (upload_etag.h): MD5, or XXH3-128 with MD5 only when Content-MD5 was sent.
class body_digests {
 public:
  explicit body_digests(const body_plan& plan, gateway::etag_style etag = gateway::etag_style::md5);
  body_digests(body_digests&&) noexcept;
  body_digests& operator=(body_digests&&) noexcept;
  ~body_digests();
  void update(std::span<const std::byte> data);
  std::uint64_t bytes() const noexcept { return bytes_; }
  // Finishes every digest (call once).
  void finish();
  // Empty unless MD5 ran (etag style md5, or Content-MD5 sent).
  const protocol::bytes& md5() const noexcept { return md5_digest_; }
  const protocol::bytes& sha256() const noexcept { return sha256_digest_; }
  const protocol::bytes& checksum() const noexcept { return checksum_digest_; }
  // After finish(): the quoted ETag of the payload.
  std::string etag() const;

 private:
  struct xxh3_stream;
  std::optional<protocol::hasher> md5_;
  std::unique_ptr<xxh3_stream> xxh3_;
  std::optional<protocol::hasher> sha256_;
  std::optional<protocol::hasher> checksum_;
  protocol::bytes md5_digest_, xxh3_digest_, sha256_digest_, checksum_digest_;
  std::uint64_t bytes_ = 0;
};

class body_pipeline {
 public:
  body_pipeline(gateway::request_context& ctx, const s3_request& req, const body_plan& plan,
                std::size_t buffer_bytes);

  // The next payload bytes; empty at the end of the body.
  asio::awaitable<boost::system::result<std::span<const std::byte>, s3_failure>> async_next();

  // The payload length the headers declare, if they do.
  std::optional<std::uint64_t> declared_payload_bytes() const noexcept {
    return plan_.decoded_length;
  }

  // Fills `out` with payload bytes until it is full or the body ends; returns
  // the count (less than out.size() only at the end, 0 once at the end).
  // Plain bodies are read straight into `out`; aws-chunked ones are decoded
  // from the pipeline's buffer and copied.
  asio::awaitable<boost::system::result<std::size_t, s3_failure>> async_fill(
      std::span<std::byte> out);

  // After the last async_next() and digests.finish(): checks the aws-chunked
  // framing end, the payload SHA-256, Content-MD5 and the checksum. Returns
  // the validated checksum to store (algorithm empty when none was sent).
  boost::system::result<erasure::s3_checksum, s3_failure> finish(const body_digests& digests);

 private:
  gateway::request_context& ctx_;
  const body_plan& plan_;
  std::size_t buffer_bytes_;
  std::unique_ptr<std::byte[]> buffer_;  // allocated on first async_next()
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  std::optional<protocol::aws_chunked_decoder> decoder_;
  std::span<const std::byte> pending_;  // decoded payload async_fill() has not copied yet
};

// Maps a transport error while reading the body (body_incomplete, ...) to S3.
s3_failure body_read_failure(const std::error_code& ec);

}  // namespace kvgate::s3
