// What the S3 layer knows about one request after addressing and
// authentication: the bucket and key it names, its decoded query, the caller,
// and how the body is encoded. Built once per request by the handler and
// passed (by reference) to the operation; plain data, lives as long as the
// request and is used from the connection strand only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kvgate/protocol/sigv4_verifier.h"
#include "kvgate/protocol/uri.h"

namespace kvgate::s3 {

// The authenticated caller. `root` has every permission.
struct principal {
  std::string access_key;
  bool root = false;
};

// How the request proved its identity (the body pipeline needs the SigV4 state
// to continue the aws-chunked signature chain).
enum class auth_kind { sigv4_header, sigv4_presigned, sigv2_header, sigv2_presigned };

struct s3_request {
  std::string method;            // "GET", "PUT", ...
  std::string raw_path;          // path as sent, still percent-encoded
  std::string raw_query;         // query as sent
  protocol::query_params query;  // decoded query parameters
  std::string bucket;            // empty for service-level requests
  std::string key;               // decoded exactly once; empty for bucket requests
  bool virtual_hosted = false;   // bucket came from the Host header
  principal caller;
  auth_kind auth = auth_kind::sigv4_header;
  // SigV4 state (header or presigned auth); empty for SigV2.
  std::optional<protocol::sigv4_context> sigv4;
  std::string request_id;

  // "/bucket/key" for XML <Resource> and SigV2.
  std::string resource() const;
  // First query parameter `name` or nullptr.
  const protocol::query_param* param(std::string_view name) const noexcept {
    return protocol::find_param(query, name);
  }
  bool has_param(std::string_view name) const noexcept { return param(name) != nullptr; }
};

}  // namespace kvgate::s3
