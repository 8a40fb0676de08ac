// Injection points the S3 layer sets on the HTTP core.
//
// The core answers a few requests itself (header section too large, connection
// or in-flight limit reached, malformed request, handler failure, health
// probes). What those answers look like on the wire is the S3 layer's business:
// it supplies render_error to produce the status and XML body for each
// transport_error. The defaults produce minimal S3-style XML errors.
// Hooks are called concurrently from any network thread and must be
// thread-safe and non-blocking.
#pragma once

#include <boost/beast/http/status.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kvgate/gateway/live_cluster_map.h"

namespace kvgate::gateway {

enum class transport_error {
  header_too_large,  // header section above max_header_bytes
  slow_down,         // connection or in-flight limit reached (503 + Retry-After)
  bad_request,       // unparsable request line or header
  internal_error,    // the handler threw or returned without a response
};

struct error_response {
  boost::beast::http::status status;
  std::string content_type;  // e.g. "application/xml"
  std::string body;
};

struct server_hooks {
  std::function<error_response(transport_error, std::string_view request_id)> render_error;
  // /health/ready answers 200 when this returns true, 503 otherwise.
  std::function<bool()> ready;
  // Called on SIGHUP (after the TLS certificate reload), on the blocking
  // pool: re-reads what can change at run time (credentials, log level). It
  // must keep the old state when the new one is invalid, and log why.
  std::function<void()> reload;
  // The cluster map the answers' x-kvgate-node / x-kvgate-map-version come
  // from (replaced by a SIGHUP reload); null: the configuration's map.
  std::shared_ptr<const live_cluster_map> cluster_map;
};

// The S3 code and HTTP status used by the default renderer.
std::string_view default_error_code(transport_error e) noexcept;
// Default renderer: <Error><Code/><Message/><RequestId/></Error>.
error_response default_render_error(transport_error e, std::string_view request_id);
// Renders an S3 XML error document (pugixml, so values are escaped).
std::string render_s3_error_xml(std::string_view code, std::string_view message,
                                std::string_view request_id);

}  // namespace kvgate::gateway
