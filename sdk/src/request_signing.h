// Turns a located request into the wire head the client sends: request
// target with the encoded query, the caller's headers, Host, and the SigV4
// headers from kvgate::protocol's signer (the one the gateway verifies
// with). Pure: time and payload hash are parameters.
#pragma once

#include <string>
#include <vector>

#include "http_exchange.h"
#include "kvgate/protocol/amz_time.h"
#include "kvgate/protocol/sigv4_signer.h"
#include "kvgate/sdk/endpoint.h"

namespace kvgate::sdk::detail {

// "?a=1&b" (names and values URI-encoded), or "" without parameters.
std::string encode_query(const protocol::query_params& query);

// Errors: invalid_argument when signing fails (no host: cannot happen here).
[[nodiscard]] result<outgoing_request> build_signed_request(
    const protocol::signing_credentials& credentials, const request_location& where,
    http::verb method, const protocol::query_params& query,
    const std::vector<protocol::owned_header>& headers, std::string_view payload_hash,
    protocol::sys_seconds now);

}  // namespace kvgate::sdk::detail
