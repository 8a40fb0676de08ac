#include "node_connection.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace kvgate::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

// Runs the io_context until the one pending operation completed.
void run_one(asio::io_context& io) {
  io.restart();
  io.run();
}

bool is_ip(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

boost::system::result<node_endpoint, std::string> parse_node_endpoint(const std::string& url) {
  using boost::system::in_place_error;
  node_endpoint out;
  out.url = url;
  std::string rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    out.tls = true;
  } else {
    return {in_place_error, fmt::format("{}: expected http://HOST:PORT or https://HOST:PORT", url)};
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (!gateway::parse_listen_address(rest, out.address))
    return {in_place_error, fmt::format("{}: expected http(s)://HOST:PORT", url)};
  out.host_port = std::move(rest);
  return out;
}

boost::system::result<node_connection, std::string> node_connection::create(
    node_endpoint endpoint, connection_options options) {
  using boost::system::in_place_error;
  node_connection c;
  c.io_ = std::make_unique<asio::io_context>();
  if (endpoint.tls) {
    c.tls_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(c.tls_->native_handle(), TLS1_2_VERSION);
    c.tls_->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (!options.ca_file.empty()) {
      c.tls_->load_verify_file(options.ca_file, ec);
    } else {
      c.tls_->set_default_verify_paths(ec);
    }
    if (ec)
      return {in_place_error,
              fmt::format("cannot load the CA certificates{}: {}",
                          options.ca_file.empty() ? "" : " from " + options.ca_file, ec.message())};
  }
  c.endpoint_ = std::move(endpoint);
  c.options_ = std::move(options);
  return c;
}

node_connection::node_connection(node_connection&&) noexcept = default;
node_connection& node_connection::operator=(node_connection&&) noexcept = default;
node_connection::~node_connection() = default;

void node_connection::close() noexcept {
  secure_.reset();
  plain_.reset();
}

boost::system::result<void, std::string> node_connection::connect() {
  using boost::system::in_place_error;
  boost::system::error_code ec;
  auto fail = [&](std::string_view what) -> boost::system::result<void, std::string> {
    close();
    return {in_place_error, fmt::format("{} {}: {}", what, endpoint_.url, ec.message())};
  };
  asio::ip::tcp::resolver resolver(*io_);
  const auto& host = endpoint_.address.host;
  auto endpoints = resolver.resolve(host, std::to_string(endpoint_.address.port), ec);
  if (ec) return fail("cannot resolve");
  beast::tcp_stream* tcp = nullptr;
  if (endpoint_.tls) {
    secure_ = std::make_unique<ssl::stream<beast::tcp_stream>>(*io_, *tls_);
    tcp = &secure_->next_layer();
  } else {
    plain_ = std::make_unique<beast::tcp_stream>(*io_);
    tcp = plain_.get();
  }
  tcp->expires_after(options_.timeout);
  tcp->async_connect(endpoints, [&](boost::system::error_code e, auto&&) { ec = e; });
  run_one(*io_);
  if (ec) return fail("cannot connect to");
  if (secure_) {
    // SNI for names (not addresses); the certificate must name the host.
    if (!is_ip(host)) SSL_set_tlsext_host_name(secure_->native_handle(), host.c_str());
    secure_->set_verify_callback(ssl::host_name_verification(host));
    tcp->expires_after(options_.timeout);
    secure_->async_handshake(ssl::stream_base::client,
                             [&](boost::system::error_code e) { ec = e; });
    run_one(*io_);
    if (ec) return fail("TLS handshake with");
  }
  return {};
}

boost::system::result<node_connection::response, std::string> node_connection::exchange(
    request& req, bool head, std::uint64_t body_limit) {
  using boost::system::in_place_error;
  if (!plain_ && !secure_) {
    auto connected = connect();
    if (!connected) return {in_place_error, connected.error()};
  }
  boost::system::error_code ec;
  auto fail = [&](std::string_view what) -> boost::system::result<response, std::string> {
    close();
    return {in_place_error, fmt::format("{} {}: {}", what, endpoint_.url, ec.message())};
  };
  beast::tcp_stream& tcp = secure_ ? secure_->next_layer() : *plain_;
  // One operation on whichever stream is open, bounded by the timeout.
  auto step = [&](auto&& start) {
    tcp.expires_after(options_.timeout);
    if (secure_) {
      start(*secure_);
    } else {
      start(*plain_);
    }
    run_one(*io_);
  };
  auto done = [&](boost::system::error_code e, std::size_t) { ec = e; };
  step([&](auto& stream) { http::async_write(stream, req, done); });
  if (ec) return fail("request to");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit);
  if (head) parser.skip(true);
  step([&](auto& stream) { http::async_read(stream, buffer, parser, done); });
  if (ec) return fail("no complete answer from");
  response res = parser.release();
  if (!res.keep_alive()) close();
  return res;
}

}  // namespace kvgate::cli
