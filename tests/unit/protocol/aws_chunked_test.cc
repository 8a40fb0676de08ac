#include "kvgate/protocol/aws_chunked.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/sigv4_signer.h"
#include "kvgate/protocol/sigv4_verifier.h"
#include "protocol/result_printing.h"

using namespace kvgate::protocol;

namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kSeed =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

sys_seconds example_time() {
  return parse_amz_date("20130524T000000Z").value();
}

sigv4_chunk_chain example_chain(std::string seed = std::string(kSeed)) {
  return sigv4_chunk_chain(derive_signing_key(kSecret, "20130524", "us-east-1", "s3"),
                           "20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
                           std::move(seed));
}

std::string hex_size(std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[n & 0xf]);
    n >>= 4;
  } while (n != 0);
  return s;
}

// Builds a body in any mode with the shared chain (the SDK's code path).
std::string encode(aws_chunked_mode mode, const std::vector<std::string>& chunks,
                   const std::vector<std::pair<std::string, std::string>>& trailers = {}) {
  auto chain = example_chain();
  std::string body;
  auto add_chunk = [&](const std::string& data) {
    body += hex_size(data.size());
    if (mode != aws_chunked_mode::unsigned_trailer)
      body += ";chunk-signature=" + chain.sign_chunk(sha256(data));
    body += "\r\n";
    if (!data.empty()) body += data + "\r\n";
  };
  for (const auto& c : chunks) add_chunk(c);
  add_chunk("");
  std::string canonical;
  for (const auto& [n, v] : trailers) {
    body += n + ":" + v + "\r\n";
    canonical += n + ":" + v + "\n";
  }
  if (mode == aws_chunked_mode::signed_trailer) {
    body += "x-amz-trailer-signature:" + chain.sign_trailer(sha256(canonical)) + "\r\n";
  }
  body += "\r\n";
  return body;
}

aws_chunked_decoder make_decoder(aws_chunked_mode mode, std::optional<std::uint64_t> length) {
  if (mode == aws_chunked_mode::unsigned_trailer) return aws_chunked_decoder(length);
  return aws_chunked_decoder(mode, example_chain(), length);
}

struct outcome {
  std::string payload;
  std::error_code error;
};

// Feeds `body` cut at the given offsets; collects payload and the first error.
outcome run(aws_chunked_decoder& d, std::string_view body, const std::vector<std::size_t>& cuts) {
  outcome out;
  std::size_t start = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(body.size());
  for (std::size_t end : ends) {
    byte_view piece = as_bytes(body.substr(start, end - start));
    start = end;
    while (!piece.empty()) {
      auto step = d.decode(piece);
      if (!step) {
        out.error = step.error();
        return out;
      }
      out.payload.append(reinterpret_cast<const char*>(step->payload.data()), step->payload.size());
      piece = piece.subspan(step->consumed);
    }
  }
  if (auto f = d.finish(); !f) out.error = f.error();
  return out;
}

}  // namespace

TEST_CASE("streaming seed signature matches the AWS chunked upload example", "[protocol]") {
  const request_to_sign req{"PUT",
                            "/examplebucket/chunkObject.txt",
                            {},
                            {{"Host", "s3.amazonaws.com"},
                             {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                             {"Content-Encoding", "aws-chunked"},
                             {"Content-Length", "66824"},
                             {"x-amz-decoded-content-length", "66560"}},
                            std::string(kStreamingSignedPayload)};
  const signing_credentials creds{"AKIAIOSFODNN7EXAMPLE", std::string(kSecret), std::nullopt,
                                  "us-east-1", "s3"};
  const auto s = sign_request(creds, req, example_time());
  REQUIRE(s.has_value());
  CHECK(s->signature == kSeed);
  CHECK(s->authorization.find(
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;"
            "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class") != std::string::npos);

  // The verifier hands the decoder the same chain.
  std::vector<header_field> headers;
  for (const auto& h : req.headers) headers.push_back({h.name, h.value});
  for (const auto& h : s->added_headers) headers.push_back({h.name, h.value});
  const query_params none;
  const request_view rv{"PUT", req.path, &none, headers};
  const auto ctx = verify_sigv4_header(rv, parse_sigv4_authorization(s->authorization).value(),
                                       kSecret, example_time());
  REQUIRE(ctx.has_value());
  CHECK(ctx->seed_signature == kSeed);
  CHECK(aws_chunked_mode_for(ctx->payload_hash) == aws_chunked_mode::signed_payload);
}

TEST_CASE("chunk signatures match the AWS 64 KiB + 1 KiB example and decode", "[protocol]") {
  const std::string big(65536, 'a');
  const std::string small(1024, 'a');
  auto chain = example_chain();
  CHECK(chain.sign_chunk(sha256(big)) ==
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  CHECK(chain.sign_chunk(sha256(small)) ==
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  CHECK(chain.sign_chunk(sha256(std::string_view{})) ==
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");

  const std::string body = encode(aws_chunked_mode::signed_payload, {big, small});
  CHECK(body.size() == 66824);  // Content-Length of the AWS example
  auto d = make_decoder(aws_chunked_mode::signed_payload, 66560);
  const auto out = run(d, body, {100, 65000, 65700});
  CHECK_FALSE(out.error);
  CHECK(out.payload == big + small);
  CHECK(d.done());
  CHECK(d.decoded_bytes() == 66560);
}

TEST_CASE("decoding is identical for every split point and byte-at-a-time input", "[protocol]") {
  const std::vector<std::string> chunks = {"hello", "aws-chunked", "!"};
  const std::string expected = "helloaws-chunked!";
  for (auto mode : {aws_chunked_mode::signed_payload, aws_chunked_mode::unsigned_trailer,
                    aws_chunked_mode::signed_trailer}) {
    const std::vector<std::pair<std::string, std::string>> trailers =
        mode == aws_chunked_mode::signed_payload
            ? std::vector<std::pair<std::string, std::string>>{}
            : std::vector<std::pair<std::string, std::string>>{
                  {"x-amz-checksum-crc32",
                   checksum_base64(checksum_algorithm::crc32, as_bytes(expected))}};
    const std::string body = encode(mode, chunks, trailers);
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
      auto d = make_decoder(mode, expected.size());
      const auto out = run(d, body, {cut});
      INFO("mode " << static_cast<int>(mode) << " cut " << cut);
      REQUIRE_FALSE(out.error);
      CHECK(out.payload == expected);
      CHECK(d.trailers().size() == trailers.size());
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < body.size(); ++i) every.push_back(i);
    auto d = make_decoder(mode, expected.size());
    const auto out = run(d, body, every);
    CHECK_FALSE(out.error);
    CHECK(out.payload == expected);
  }
}

TEST_CASE("unsigned trailer body as botocore sends it exposes the CRC32 trailer", "[protocol]") {
  const std::string data(1000, 'x');
  const std::string crc = checksum_base64(checksum_algorithm::crc32, as_bytes(data));
  const std::string body = "3e8\r\n" + data + "\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n";
  auto d = aws_chunked_decoder(std::uint64_t{1000});
  const auto out = run(d, body, {});
  REQUIRE_FALSE(out.error);
  REQUIRE(d.find_trailer("X-Amz-Checksum-CRC32") != nullptr);
  CHECK(d.find_trailer("x-amz-checksum-crc32")->value == crc);
}

TEST_CASE("caller detects a bad trailer checksum with the checksum module", "[protocol]") {
  const std::string data = "payload whose checksum is wrong";
  const std::string wrong = checksum_base64(checksum_algorithm::crc32, as_bytes("something else"));
  const std::string body =
      encode(aws_chunked_mode::unsigned_trailer, {data}, {{"x-amz-checksum-crc32", wrong}});
  auto d = make_decoder(aws_chunked_mode::unsigned_trailer, data.size());
  hasher h(checksum_algorithm::crc32);
  byte_view in = as_bytes(body);
  while (!in.empty()) {
    auto step = d.decode(in);
    REQUIRE(step.has_value());
    h.update(step->payload);
    in = in.subspan(step->consumed);
  }
  REQUIRE(d.finish().has_value());
  const auto* trailer = d.find_trailer(checksum_header_name(checksum_algorithm::crc32));
  REQUIRE(trailer != nullptr);
  const auto expected = base64_decode(trailer->value);
  REQUIRE(expected.has_value());
  CHECK(h.finish() != *expected);  // gateway answers BadDigest
}

TEST_CASE("a tampered chunk, signature or trailer fails with a signature mismatch", "[protocol]") {
  const std::vector<std::string> chunks = {"first chunk", "second"};
  const std::string body = encode(aws_chunked_mode::signed_payload, chunks);
  std::string tampered = body;
  tampered[body.find("first") + 1] = 'X';
  auto d1 = make_decoder(aws_chunked_mode::signed_payload, std::nullopt);
  CHECK(run(d1, tampered, {}).error == protocol_errc::chunk_signature_mismatch);

  auto d2 = aws_chunked_decoder(aws_chunked_mode::signed_payload,
                                example_chain(std::string(64, '0')), std::nullopt);
  CHECK(run(d2, body, {}).error == protocol_errc::chunk_signature_mismatch);

  const std::string trailer_body =
      encode(aws_chunked_mode::signed_trailer, chunks, {{"x-amz-checksum-crc32c", "AAAAAA=="}});
  std::string bad_trailer = trailer_body;
  bad_trailer.replace(bad_trailer.find("AAAAAA=="), 8, "AAAAAQ==");
  auto d3 = make_decoder(aws_chunked_mode::signed_trailer, std::nullopt);
  CHECK(run(d3, bad_trailer, {}).error == protocol_errc::chunk_signature_mismatch);
  // Errors are sticky.
  CHECK(d3.decode(as_bytes("x")).error() == protocol_errc::chunk_signature_mismatch);
}

TEST_CASE("truncated bodies are reported at finish at every cut", "[protocol]") {
  for (auto mode : {aws_chunked_mode::signed_payload, aws_chunked_mode::unsigned_trailer}) {
    const std::string body = encode(mode, {"abc", "defg"});
    for (std::size_t len = 0; len < body.size(); ++len) {
      auto d = make_decoder(mode, 7);
      INFO("len " << len);
      CHECK(run(d, body.substr(0, len), {}).error == protocol_errc::chunk_truncated);
    }
  }
}

TEST_CASE("framing errors are distinguished", "[protocol]") {
  struct row {
    std::string body;
    protocol_errc error;
  };
  const std::string sig(64, 'a');
  const row rows[] = {
      {"zz\r\nab\r\n0\r\n\r\n", protocol_errc::chunk_bad_hex},
      {"\r\n", protocol_errc::chunk_bad_hex},
      {"11111111111111111\r\n", protocol_errc::chunk_bad_hex},
      {"2\nab\r\n0\r\n\r\n", protocol_errc::chunk_bad_framing},   // LF without CR
      {"2\r\nabX\n0\r\n\r\n", protocol_errc::chunk_bad_framing},  // data not followed by CRLF
      {"2;chunk-signature=" + sig + "\r\nab\r\n",
       protocol_errc::chunk_bad_framing},  // signature in unsigned mode
      {"2\r\nab\r\n0\r\nno-colon\r\n\r\n", protocol_errc::chunk_bad_framing},
      {"2\r\nab\r\n0\r\nx-amz-trailer-signature:" + sig + "\r\n\r\n",
       protocol_errc::chunk_bad_framing},
      {"2\r\nab\r\n0\r\n\r\nextra", protocol_errc::chunk_bad_framing},
      {"3\r\nabc\r\n0\r\n\r\n", protocol_errc::body_too_long},  // decoded length is 2
      {"1\r\na\r\n0\r\n\r\n", protocol_errc::incomplete_body},
      {std::string(5000, '1'), protocol_errc::chunk_header_too_long},
      {"2\r\nab\r\n0\r\n" + std::string(20000, 'x'), protocol_errc::trailer_too_long},
  };
  for (const auto& r : rows) {
    INFO(r.body.substr(0, 40));
    auto d = aws_chunked_decoder(std::uint64_t{2});
    CHECK(run(d, r.body, {}).error == r.error);
  }
  // Signed mode requires a signature on every chunk.
  auto d = make_decoder(aws_chunked_mode::signed_payload, std::nullopt);
  CHECK(run(d, "2\r\nab\r\n", {}).error == protocol_errc::chunk_bad_framing);
  auto d2 = make_decoder(aws_chunked_mode::signed_trailer, std::nullopt);
  CHECK(run(d2, encode(aws_chunked_mode::signed_payload, {"ab"}), {}).error ==
        protocol_errc::chunk_bad_framing);
}

TEST_CASE("content-sha256 values select the aws-chunked mode", "[protocol]") {
  CHECK(aws_chunked_mode_for("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") ==
        aws_chunked_mode::signed_payload);
  CHECK(aws_chunked_mode_for("STREAMING-UNSIGNED-PAYLOAD-TRAILER") ==
        aws_chunked_mode::unsigned_trailer);
  CHECK(aws_chunked_mode_for("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") ==
        aws_chunked_mode::signed_trailer);
  CHECK_FALSE(aws_chunked_mode_for("UNSIGNED-PAYLOAD"));
  CHECK_FALSE(aws_chunked_mode_for(kEmptySha256));
}
