// What `kvgate rebalance` works from: the cluster map every active member
// agrees on (fetched from each member's GET /.kvgate/v1/cluster) and the
// objects each active member holds (ListBuckets + ListObjectsV2 on each).
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rebalance_node_client.h"

namespace kvgate::cli {

struct map_member {
  std::string id;
  std::string s3_endpoint;
  std::string ring_name;
  std::uint32_t weight = 1;
  bool active = true;
};

struct agreed_map {
  routing_map routing;  // cluster id + version
  std::vector<map_member> members;
};

struct listed_object {
  std::size_t holder = 0;  // index into agreed_map::members
  std::string bucket;
  std::string key;
  std::uint64_t size = 0;
  std::string etag;           // without quotes
  std::string last_modified;  // ISO 8601 as listed
};

// Makes a client for `endpoint` routed with `map` (empty: no map headers).
using client_factory = std::function<boost::system::result<node_client, std::string>(
    const std::string& endpoint, const routing_map& map)>;

// The map of `endpoint`, checked against every active member's own map
// (cluster id, version and member list): the error names the node that
// disagrees or cannot be asked.
[[nodiscard]] boost::system::result<agreed_map, std::string> fetch_agreed_map(
    const std::string& endpoint, const client_factory& make_client);

// Every object on every active member, in the buckets named in `only` (all
// when empty). Buckets that exist on a member are in `buckets_by_member`.
struct inventory {
  std::vector<listed_object> objects;
  std::vector<std::vector<std::string>> buckets_by_member;
};
[[nodiscard]] boost::system::result<inventory, std::string> list_cluster(
    const agreed_map& map, const std::vector<std::string>& only, const client_factory& make_client);

}  // namespace kvgate::cli
