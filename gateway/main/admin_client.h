// The client side of kvgate's admin API (/.kvgate/v1/admin/..., docs/cache.md
// "Admin API") for the admin verbs' --endpoint: one SigV4-signed request with
// the root credentials over HTTP or HTTPS (node_connection.h), the JSON
// answer returned. Failures
// (no credentials, no connection, an answer other than 2xx, a body that is not JSON)
// go through admin_fail with the verb's name.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine_admin.h"
#include "kvgate/gateway/dev_credentials.h"

namespace kvgate::cli {

struct admin_call {
  std::string_view verb;  // for messages ("capacity", "info")
  std::string endpoint;   // http(s)://HOST:PORT
  std::string region = "us-east-1";
  std::string ca_file;         // trusted for https (empty: the system's)
  const admin_target* target;  // --data / --config: where dev credentials are found
  std::string method = "GET";  // GET, POST (with a JSON body) or DELETE
  std::string path;            // e.g. /.kvgate/v1/admin/capacity
  std::string query;           // a bare parameter ("evict") or empty
  std::string body;            // JSON for POST
};

// A GET of `path` on `endpoint` for `verb` (set method, query, body after).
admin_call admin_get(std::string_view verb, const std::string& endpoint, const std::string& region,
                     const std::string& ca_file, const admin_target& target, std::string path);

nlohmann::json call_admin_api(const admin_call& call);

// The server's root keys: KVGATE_ACCESS_KEY / KVGATE_SECRET_KEY (or a config
// file naming them), else the dev credentials kept with its data (--data).
gateway::credentials root_credentials(std::string_view verb, const admin_target& target);

// Adds --endpoint, --region and --ca-file to an admin subcommand.
void add_endpoint_options(CLI::App& cmd, std::string& endpoint, std::string& region,
                          std::string& ca_file);

}  // namespace kvgate::cli
