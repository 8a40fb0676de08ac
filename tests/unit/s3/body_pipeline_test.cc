#include "kvgate/s3/body_pipeline.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/encoding.h"
#include "kvgate/protocol/sigv4_chunk.h"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace kvgate::s3;
using kvgate::protocol::s3_error;

namespace {

// A request_context whose body comes from a string in pieces of `step` bytes.
class fake_context final : public kvgate::gateway::request_context {
 public:
  fake_context(const http::request_header<>& h, std::string body, std::size_t step)
      : request_context(h, "req-1", {}, false), body_(std::move(body)), step_(step) {}
  std::optional<std::uint64_t> content_length() const override { return body_.size(); }
  bool body_done() const override { return pos_ == body_.size(); }
  asio::awaitable<kvgate::gateway::result<std::size_t>> async_read_some_body(
      std::span<std::byte> buf) override {
    const std::size_t n = std::min({buf.size(), step_, body_.size() - pos_});
    std::memcpy(buf.data(), body_.data() + pos_, n);
    pos_ += n;
    co_return n;
  }
  asio::awaitable<kvgate::gateway::result<void>> async_write_head(
      http::response_header<>, std::optional<std::uint64_t>) override {
    co_return kvgate::gateway::result<void>();
  }
  asio::awaitable<kvgate::gateway::result<void>> async_write_body(
      std::span<const std::byte>) override {
    co_return kvgate::gateway::result<void>();
  }
  asio::awaitable<kvgate::gateway::result<void>> async_finish() override {
    co_return kvgate::gateway::result<void>();
  }
  void set_close() override {}
  bool head_written() const override { return false; }
  bool finished() const override { return false; }
  unsigned status() const override { return 0; }

 private:
  std::string body_;
  std::size_t step_;
  std::size_t pos_ = 0;
};

struct pipeline_outcome {
  std::string payload;
  std::optional<s3_failure> failure;
  kvgate::erasure::s3_checksum checksum;
  std::string md5_hex;
};

// Plans, streams and finishes a body like PutObject does.
pipeline_outcome run_pipeline(const http::request_header<>& h, const s3_request& req,
                              std::string body, std::size_t step) {
  pipeline_outcome out;
  auto plan = plan_body(req, h, body.size());
  if (!plan) {
    out.failure = plan.error();
    return out;
  }
  fake_context ctx(h, std::move(body), step);
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        body_pipeline pipeline(ctx, req, *plan, 64 * 1024);
        body_digests digests(*plan);
        for (;;) {
          auto chunk = co_await pipeline.async_next();
          if (!chunk) {
            out.failure = chunk.error();
            co_return;
          }
          if (chunk->empty()) break;
          digests.update(*chunk);
          out.payload.append(reinterpret_cast<const char*>(chunk->data()), chunk->size());
        }
        digests.finish();
        auto checksum = pipeline.finish(digests);
        if (!checksum) {
          out.failure = checksum.error();
          co_return;
        }
        out.checksum = *checksum;
        out.md5_hex = kvgate::protocol::hex_encode(digests.md5());
      },
      asio::detached);
  io.run();
  return out;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 23);
  return s;
}

s3_request sigv4_request(std::string payload_hash) {
  s3_request req;
  kvgate::protocol::sigv4_context s;
  s.credential = {"AK", "20130524", "us-east-1", "s3"};
  s.amz_date = "20130524T000000Z";
  s.key = kvgate::protocol::derive_signing_key("secret", "20130524", "us-east-1", "s3");
  s.seed_signature = std::string(64, 'a');
  s.payload_hash = std::move(payload_hash);
  req.sigv4 = s;
  return req;
}

}  // namespace

TEST_CASE("a plain body streams through with its MD5", "[s3][body]") {
  http::request_header<> h;
  const auto body = pattern(200'000);
  auto out = run_pipeline(h, s3_request{}, body, 7'000);
  REQUIRE_FALSE(out.failure);
  CHECK(out.payload == body);
  CHECK(out.checksum.algorithm.empty());
  kvgate::protocol::hasher md5(kvgate::protocol::checksum_algorithm::md5);
  md5.update(body);
  CHECK(out.md5_hex == kvgate::protocol::hex_encode(md5.finish()));
}

TEST_CASE("a hex payload hash that differs from the body is a SHA-256 mismatch", "[s3][body]") {
  http::request_header<> h;
  const auto body = pattern(1000);
  auto ok = run_pipeline(h, sigv4_request(kvgate::protocol::sha256_hex(body)), body, 100);
  CHECK_FALSE(ok.failure);
  auto bad = run_pipeline(h, sigv4_request(kvgate::protocol::sha256_hex("other")), body, 100);
  REQUIRE(bad.failure);
  CHECK(bad.failure->error == s3_error::x_amz_content_sha256_mismatch);
}

TEST_CASE("Content-MD5 is validated: malformed is InvalidDigest, wrong is BadDigest",
          "[s3][body]") {
  const auto body = pattern(500);
  http::request_header<> h;
  h.set("content-md5", "not base64");
  auto malformed = run_pipeline(h, s3_request{}, body, 100);
  REQUIRE(malformed.failure);
  CHECK(malformed.failure->error == s3_error::invalid_digest);
  h.set("content-md5", kvgate::protocol::checksum_base64(kvgate::protocol::checksum_algorithm::md5,
                                                         kvgate::protocol::as_bytes("x")));
  auto wrong = run_pipeline(h, s3_request{}, body, 100);
  REQUIRE(wrong.failure);
  CHECK(wrong.failure->error == s3_error::bad_digest);
  h.set("content-md5", kvgate::protocol::checksum_base64(kvgate::protocol::checksum_algorithm::md5,
                                                         kvgate::protocol::as_bytes(body)));
  CHECK_FALSE(run_pipeline(h, s3_request{}, body, 100).failure);
}

TEST_CASE("x-amz-checksum headers are validated and returned for storage", "[s3][body]") {
  using kvgate::protocol::checksum_algorithm;
  const auto body = pattern(3000);
  for (auto alg :
       {checksum_algorithm::crc32, checksum_algorithm::crc32c, checksum_algorithm::crc64nvme,
        checksum_algorithm::sha1, checksum_algorithm::sha256}) {
    http::request_header<> h;
    const auto value = kvgate::protocol::checksum_base64(alg, kvgate::protocol::as_bytes(body));
    h.set(kvgate::protocol::checksum_header_name(alg), value);
    auto ok = run_pipeline(h, s3_request{}, body, 1000);
    REQUIRE_FALSE(ok.failure);
    CHECK(ok.checksum.algorithm == kvgate::protocol::algorithm_name(alg));
    CHECK(ok.checksum.value == value);
    CHECK(ok.checksum.type == "FULL_OBJECT");
    h.set(kvgate::protocol::checksum_header_name(alg),
          kvgate::protocol::checksum_base64(alg, kvgate::protocol::as_bytes("other")));
    auto bad = run_pipeline(h, s3_request{}, body, 1000);
    REQUIRE(bad.failure);
    CHECK(bad.failure->error == s3_error::bad_digest);
  }
}

TEST_CASE("malformed or duplicate checksum headers are InvalidRequest before the body",
          "[s3][body]") {
  http::request_header<> h;
  h.set("x-amz-checksum-crc32", "AAAA");  // 3 bytes, CRC32 needs 4
  auto short_value = plan_body(s3_request{}, h, 10);
  REQUIRE_FALSE(short_value.has_value());
  CHECK(short_value.error().error == s3_error::invalid_request);
  http::request_header<> two;
  two.set("x-amz-checksum-crc32", "AAAAAA==");
  two.set("x-amz-checksum-sha1", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  auto dup = plan_body(s3_request{}, two, 10);
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().error == s3_error::invalid_request);
  http::request_header<> trailer;
  trailer.set("x-amz-trailer", "x-amz-checksum-crc32");
  auto no_stream = plan_body(s3_request{}, trailer, 10);
  REQUIRE_FALSE(no_stream.has_value());
  CHECK(no_stream.error().error == s3_error::invalid_request);
}

TEST_CASE("unsigned-trailer aws-chunked bodies decode and check the trailing CRC32", "[s3][body]") {
  using kvgate::protocol::checksum_algorithm;
  const auto data = pattern(150'000);
  const auto crc = kvgate::protocol::checksum_base64(checksum_algorithm::crc32,
                                                     kvgate::protocol::as_bytes(data));
  auto encode = [&](const std::string& trailer_value) {
    std::string b;
    for (std::size_t i = 0; i < data.size(); i += 65536) {
      const auto piece = data.substr(i, 65536);
      char hex[32];
      std::snprintf(hex, sizeof hex, "%zx\r\n", piece.size());
      b += hex + piece + "\r\n";
    }
    b += "0\r\nx-amz-checksum-crc32:" + trailer_value + "\r\n\r\n";
    return b;
  };
  http::request_header<> h;
  h.set("content-encoding", "aws-chunked");
  h.set("x-amz-decoded-content-length", std::to_string(data.size()));
  h.set("x-amz-trailer", "x-amz-checksum-crc32");
  const auto req = sigv4_request(std::string(kvgate::protocol::kStreamingUnsignedPayloadTrailer));
  for (std::size_t step : {1u, 13u, 4096u, 100000u}) {
    auto ok = run_pipeline(h, req, encode(crc), step);
    REQUIRE_FALSE(ok.failure);
    CHECK(ok.payload == data);
    CHECK(ok.checksum.value == crc);
  }
  auto bad = run_pipeline(h, req,
                          encode(kvgate::protocol::checksum_base64(
                              checksum_algorithm::crc32, kvgate::protocol::as_bytes("x"))),
                          5000);
  REQUIRE(bad.failure);
  CHECK(bad.failure->error == s3_error::bad_digest);
}

TEST_CASE("signed aws-chunked bodies verify every chunk signature", "[s3][body]") {
  const auto data = pattern(100'000);
  auto req = sigv4_request(std::string(kvgate::protocol::kStreamingSignedPayload));
  const auto& s = *req.sigv4;
  auto encode = [&](bool corrupt) {
    kvgate::protocol::sigv4_chunk_chain chain(s.key, s.amz_date, s.credential.scope(),
                                              s.seed_signature);
    std::string b;
    for (std::size_t i = 0; i <= data.size(); i += 40'000) {
      const auto piece = data.substr(i, 40'000);
      const auto sig = chain.sign_chunk(kvgate::protocol::sha256(piece));
      char hex[32];
      std::snprintf(hex, sizeof hex, "%zx", piece.size());
      std::string p = piece;
      if (corrupt && i == 40'000) p[5] ^= 1;
      b += std::string(hex) + ";chunk-signature=" + sig + "\r\n" + p + "\r\n";
      if (piece.empty()) break;
    }
    if (data.size() % 40'000 != 0) {
      b += "0;chunk-signature=" + chain.sign_chunk(kvgate::protocol::sha256(std::string_view())) +
           "\r\n\r\n";
    }
    return b;
  };
  http::request_header<> h;
  h.set("x-amz-decoded-content-length", std::to_string(data.size()));
  auto ok = run_pipeline(h, req, encode(false), 3000);
  REQUIRE_FALSE(ok.failure);
  CHECK(ok.payload == data);
  auto bad = run_pipeline(h, req, encode(true), 3000);
  REQUIRE(bad.failure);
  CHECK(bad.failure->error == s3_error::signature_does_not_match);
}
