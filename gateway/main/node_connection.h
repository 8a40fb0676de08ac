// One kept-alive connection from a `kvgate` client verb (the admin verbs'
// --endpoint, `kvgate rebalance`) to a running node: `http://HOST:PORT` or
// `https://HOST:PORT`. HTTPS verifies the node's certificate against the
// system's trust store (OpenSSL's default paths, SSL_CERT_FILE and
// SSL_CERT_DIR included) or `ca_file`, checks the host name (SNI sent), and
// refuses anything below TLS 1.2. Synchronous: every step is bounded by the
// timeout. One instance per thread: not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "kvgate/gateway/config.h"

namespace kvgate::cli {

struct node_endpoint {
  std::string url;        // as given (for messages)
  std::string host_port;  // the Host header and SigV4's host
  gateway::listen_address address;
  bool tls = false;
};

// `url` is http://HOST:PORT or https://HOST:PORT (a trailing '/' allowed).
boost::system::result<node_endpoint, std::string> parse_node_endpoint(const std::string& url);

struct connection_options {
  std::string ca_file;  // PEM bundle trusted for https (empty: the system's)
  std::chrono::seconds timeout{120};
};

class node_connection {
 public:
  using response = boost::beast::http::response<boost::beast::http::string_body>;
  using request = boost::beast::http::request<boost::beast::http::string_body>;

  // Errors: the TLS settings cannot be loaded (a CA file that is missing or
  // holds no certificate).
  static boost::system::result<node_connection, std::string> create(node_endpoint endpoint,
                                                                    connection_options options);
  node_connection(node_connection&&) noexcept;
  node_connection& operator=(node_connection&&) noexcept;
  ~node_connection();

  // Sends `req` and reads the answer (its body at most `body_limit` bytes;
  // none for HEAD). Connects (and handshakes) first when there is no open
  // connection. An error is a transport failure, as a sentence naming the
  // endpoint; the connection is closed then, and after an answer without
  // keep-alive.
  boost::system::result<response, std::string> exchange(request& req, bool head,
                                                        std::uint64_t body_limit);
  const node_endpoint& endpoint() const noexcept { return endpoint_; }
  void close() noexcept;

 private:
  node_connection() = default;
  boost::system::result<void, std::string> connect();

  node_endpoint endpoint_;
  connection_options options_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<boost::beast::tcp_stream> plain_;
  std::unique_ptr<boost::asio::ssl::stream<boost::beast::tcp_stream>> secure_;
};

}  // namespace kvgate::cli
