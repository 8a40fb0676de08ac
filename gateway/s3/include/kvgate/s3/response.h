// Response helpers every operation uses: S3 XML errors (RequestId equals the
// x-amz-request-id header the core sets), XML documents and empty answers.
// Must be called from the request's coroutine; each produces the whole
// response (head, body, finish). Transport failures are not reported: the
// core closes the connection.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>
#include <string>
#include <string_view>

#include "kvgate/gateway/request_handler.h"
#include "kvgate/protocol/s3_error.h"

namespace kvgate::s3 {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// Renders and sends an S3 error. `message` empty = the table's default.
// Adds Retry-After for SlowDown / ServiceUnavailable; 304 and HEAD get no body.
// Arguments are taken by value: the coroutine may outlive the caller's temporaries.
asio::awaitable<void> async_send_error(gateway::request_context& ctx, protocol::s3_error e,
                                       std::string message, std::string resource,
                                       http::fields extra = {});

asio::awaitable<void> async_send_xml(gateway::request_context& ctx, http::status status,
                                     std::string body, http::fields headers = {});

// A JSON document (the RDMA control endpoints), never cached.
asio::awaitable<void> async_send_json(gateway::request_context& ctx, http::status status,
                                      std::string body, http::fields headers = {});

asio::awaitable<void> async_send_empty(gateway::request_context& ctx, http::status status,
                                       http::fields headers = {});

// Copies `headers` into a response head with the given status.
http::response_header<> make_head(http::status status, const http::fields& headers);

}  // namespace kvgate::s3
