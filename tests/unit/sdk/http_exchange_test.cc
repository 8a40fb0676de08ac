// One request/response of the SDK (http_exchange.cc) against a canned server
// on loopback: the request head and body arrive as rendered, a known-length
// body lands in the caller's span whole (the part the head read brought and
// the rest read from the socket) with its CRC32C computed on the way, and
// chunked bodies, error bodies, too-small buffers and a connection lost
// mid-body are handled.
#include "http_exchange.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "http_request_head.h"
#include "kvgate/protocol/checksum.h"
#include "sdk/sdk_result_printing.h"

using namespace kvgate;
using namespace kvgate::sdk;
using namespace kvgate::sdk::detail;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::vector<std::byte> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng());
  return out;
}

std::string as_string(std::span<const std::byte> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

std::uint32_t crc32c_of(std::span<const std::byte> s) {
  return protocol::crc32c_update(0, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

// Accepts one connection, reads one request (head and Content-Length body),
// answers with `reply` written in the given pieces, then closes or waits
// for the client to close.
class canned_server {
 public:
  canned_server(std::vector<std::string> reply_pieces, bool close_after)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, pieces = std::move(reply_pieces), close_after] {
      tcp::socket s(io_);
      acceptor_.accept(s);
      std::string in;
      boost::system::error_code ec;
      const std::size_t head_end = asio::read_until(s, asio::dynamic_buffer(in), "\r\n\r\n", ec);
      head_ = in.substr(0, head_end);
      std::size_t length = 0;
      if (auto at = head_.find("content-length: "); at != std::string::npos)
        length = std::stoul(head_.substr(at + 16));
      body_ = in.substr(head_end);
      if (body_.size() < length) {
        std::string rest(length - body_.size(), '\0');
        asio::read(s, asio::buffer(rest), ec);
        body_ += rest;
      }
      for (const auto& p : pieces) {
        asio::write(s, asio::buffer(p), ec);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (!close_after) {
        char c;
        s.read_some(asio::buffer(&c, 1), ec);  // until the client closes
      }
    });
  }
  ~canned_server() { thread_.join(); }
  unsigned short port() const { return port_; }
  const std::string& head() const { return head_; }
  const std::string& body() const { return body_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::string head_, body_;
};

exchange_result exchange(unsigned short port, const outgoing_request& req, body_sink& sink,
                         bool head_request = false) {
  asio::io_context io;
  exchange_result result;
  {
    connection conn(io.get_executor());
    conn.socket().socket().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    auto done =
        asio::co_spawn(io, async_exchange(conn, req, head_request, sink, std::chrono::seconds(10)),
                       asio::use_future);
    io.run();
    result = done.get();
  }
  return result;
}

outgoing_request get_request() {
  outgoing_request r;
  r.method = http::verb::get;
  r.target = "/bucket/key";
  r.headers = {{"host", "127.0.0.1"}, {"x-amz-date", "20260101T000000Z"}};
  return r;
}

std::string ok_head(std::size_t length) {
  return "HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("request head: request line, headers in order, content-length, blank line") {
  outgoing_request r = get_request();
  r.method = http::verb::put;
  const auto body = random_bytes(5, 1);
  r.body = body;
  auto head = render_request_head(r);
  REQUIRE(head);
  CHECK(*head ==
        "PUT /bucket/key HTTP/1.1\r\nhost: 127.0.0.1\r\nx-amz-date: 20260101T000000Z\r\n"
        "content-length: 5\r\n\r\n");
  r.body = {};
  r.send_content_length = true;
  CHECK(render_request_head(r)->find("content-length: 0\r\n") != std::string::npos);
}

TEST_CASE("request head: line breaks in a header or the target are refused") {
  outgoing_request r = get_request();
  r.headers.push_back({"content-type", "text/plain\r\nx-injected: 1"});
  CHECK_FALSE(render_request_head(r));
  r = get_request();
  r.target = "/bucket/key HTTP/1.1\r\n";
  CHECK_FALSE(render_request_head(r));
  r = get_request();
  r.headers.push_back({"bad:name", "v"});
  CHECK_FALSE(render_request_head(r));
}

TEST_CASE("exchange: a PUT body leaves whole after its head") {
  const auto body = random_bytes(3u << 20, 2);
  canned_server server({"HTTP/1.1 200 OK\r\nETag: \"x\"\r\nContent-Length: 0\r\n\r\n"}, false);
  outgoing_request r = get_request();
  r.method = http::verb::put;
  r.body = body;
  r.send_content_length = true;
  body_sink sink;
  auto ex = exchange(server.port(), r, sink);
  REQUIRE_FALSE(ex.failure);
  CHECK(ex.response.status == 200);
  CHECK(ex.reusable);
  CHECK(server.head().starts_with("PUT /bucket/key HTTP/1.1\r\n"));
  CHECK(server.head().find("content-length: 3145728\r\n") != std::string::npos);
  CHECK(server.body() == as_string(body));
}

TEST_CASE("exchange: a known-length body lands in the span whole, CRC32C on the way") {
  const auto object = random_bytes((5u << 20) + 123, 3);
  // Head and the first 100 KiB in one write (the head read takes some of the
  // body along), the rest in uneven pieces.
  std::vector<std::string> pieces{ok_head(object.size()) +
                                  as_string(std::span(object).first(100000))};
  for (std::size_t at = 100000; at < object.size(); at += 777777)
    pieces.push_back(as_string(
        std::span(object).subspan(at, std::min<std::size_t>(777777, object.size() - at))));
  canned_server server(pieces, false);
  std::vector<std::byte> buffer(object.size() + 10, std::byte{0x5a});
  body_sink sink;
  sink.target = buffer;
  sink.crc32c = true;
  auto ex = exchange(server.port(), get_request(), sink);
  REQUIRE_FALSE(ex.failure);
  CHECK(ex.response.status == 200);
  CHECK(sink.received == object.size());
  CHECK(ex.response.body_bytes == object.size());
  CHECK(std::equal(object.begin(), object.end(), buffer.begin()));
  CHECK(buffer[object.size()] == std::byte{0x5a});
  CHECK(sink.crc32c_value == crc32c_of(object));
  CHECK(crc32c_header_value(crc32c_of(object)) ==
        protocol::checksum_base64(
            protocol::checksum_algorithm::crc32c,
            {reinterpret_cast<const std::uint8_t*>(object.data()), object.size()}));
  CHECK(ex.reusable);
  CHECK(server.head().starts_with("GET /bucket/key HTTP/1.1\r\n"));
  CHECK(server.head().find("content-length") == std::string::npos);
}

TEST_CASE("exchange: a chunked body goes through the parser into the span") {
  const auto object = random_bytes(70000, 4);
  std::string reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < object.size(); at += 30000) {
    const std::size_t n = std::min<std::size_t>(30000, object.size() - at);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    reply += size + as_string(std::span(object).subspan(at, n)) + "\r\n";
  }
  reply += "0\r\n\r\n";
  canned_server server({reply}, false);
  std::vector<std::byte> buffer(object.size());
  body_sink sink;
  sink.target = buffer;
  sink.crc32c = true;
  auto ex = exchange(server.port(), get_request(), sink);
  REQUIRE_FALSE(ex.failure);
  CHECK(sink.received == object.size());
  CHECK(buffer == object);
  CHECK(sink.crc32c_value == crc32c_of(object));
  CHECK(ex.reusable);
}

TEST_CASE("exchange: an error body goes to the text, not the span") {
  const std::string xml = "<Error><Code>NoSuchKey</Code></Error>";
  canned_server server({"HTTP/1.1 404 Not Found\r\nContent-Length: " + std::to_string(xml.size()) +
                        "\r\n\r\n" + xml},
                       false);
  std::vector<std::byte> buffer(64, std::byte{0});
  body_sink sink;
  sink.target = buffer;
  auto ex = exchange(server.port(), get_request(), sink);
  REQUIRE_FALSE(ex.failure);
  CHECK(ex.response.status == 404);
  CHECK(sink.text == xml);
  CHECK(sink.received == 0);
  CHECK(buffer[0] == std::byte{0});
}

TEST_CASE("exchange: a body larger than the span is refused before it is read") {
  canned_server server({ok_head(1000) + std::string(1000, 'x')}, true);
  std::vector<std::byte> buffer(999);
  body_sink sink;
  sink.target = buffer;
  auto ex = exchange(server.port(), get_request(), sink);
  REQUIRE(ex.failure);
  CHECK(ex.failure->code == make_error_code(sdk_errc::buffer_too_small));
  CHECK_FALSE(ex.reusable);
}

TEST_CASE("exchange: a connection lost mid-body is a failure, never a short success") {
  canned_server server({ok_head(1u << 20) + std::string(300000, 'x')}, true);
  std::vector<std::byte> buffer(1u << 20);
  body_sink sink;
  sink.target = buffer;
  auto ex = exchange(server.port(), get_request(), sink);
  REQUIRE(ex.failure);
  CHECK(ex.failure->code == make_error_code(sdk_errc::connection_failed));
  CHECK(ex.got_response);
  CHECK_FALSE(ex.reusable);
  CHECK(sink.received == 300000);
}

TEST_CASE("exchange: a HEAD answer's Content-Length is not waited for") {
  canned_server server({ok_head(12345)}, false);
  body_sink sink;
  outgoing_request r = get_request();
  r.method = http::verb::head;
  auto ex = exchange(server.port(), r, sink, true);
  REQUIRE_FALSE(ex.failure);
  CHECK(ex.response.status == 200);
  CHECK(ex.response.body_bytes == 0);
  CHECK(ex.reusable);
}
