// `kvgate rebalance`'s connection to one cluster member: SigV4-signed S3
// requests with the root credentials over one kept-alive HTTP or HTTPS
// connection (node_connection.h), every request routed with the cluster map the rebalance works
// from (x-kvgate-map-version, x-kvgate-cluster-id), so a node that serves
// another map refuses with 421 instead of being changed wrongly. Each attempt
// is bounded by a timeout; a broken connection is redialled once.
// One instance per worker thread and node: not thread-safe.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kvgate/gateway/config.h"
#include "kvgate/gateway/dev_credentials.h"
#include "kvgate/protocol/uri.h"
#include "node_connection.h"

namespace kvgate::cli {

// The map a request is routed with; empty id = send no map headers (the
// map endpoint itself).
struct routing_map {
  std::string cluster_id;
  std::uint64_t version = 0;
};

struct node_request {
  std::string method = "GET";
  std::string bucket;    // empty: the service (ListBuckets, /.kvgate/...)
  std::string key;       // not encoded
  std::string raw_path;  // used instead of bucket/key when set ("/.kvgate/v1/cluster")
  protocol::query_params query;
  std::vector<std::pair<std::string, std::string>> headers;  // unsigned extras
  std::string body;
};

struct node_response {
  unsigned status = 0;
  std::map<std::string, std::string, std::less<>> headers;  // lower-case names
  std::string body;
  std::string header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class node_client {
 public:
  // `endpoint` is http(s)://host:port; fails on anything else, or when
  // `ca_file` (trusted for https; empty: the system's) cannot be loaded.
  static boost::system::result<node_client, std::string> create(std::string endpoint,
                                                                gateway::credentials root,
                                                                std::string region, routing_map map,
                                                                std::uint64_t body_limit,
                                                                std::string ca_file = {});
  node_client(node_client&&) = default;
  node_client& operator=(node_client&&) = default;

  // One request; an error is a transport failure (any HTTP status is a response).
  boost::system::result<node_response, std::string> send(const node_request& request);
  const std::string& endpoint() const noexcept { return connection_.endpoint().url; }

 private:
  explicit node_client(node_connection connection) : connection_(std::move(connection)) {}
  boost::system::result<node_response, std::string> attempt(const node_request& request);
  node_connection connection_;
  gateway::credentials root_;
  std::string region_;
  routing_map map_;
  std::uint64_t body_limit_ = 0;
};

}  // namespace kvgate::cli
