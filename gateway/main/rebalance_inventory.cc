#include "rebalance_inventory.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

namespace kvgate::cli {
namespace {

using json = nlohmann::json;
using boost::system::in_place_error;

std::string strip_quotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

boost::system::result<json, std::string> get_map(const std::string& endpoint,
                                                 const client_factory& make_client) {
  auto client = make_client(endpoint, routing_map{});
  if (!client) return {in_place_error, client.error()};
  node_request req;
  req.raw_path = "/.kvgate/v1/cluster";
  auto res = client->send(req);
  if (!res) return {in_place_error, res.error()};
  if (res->status != 200)
    return {in_place_error, fmt::format("GET {}/.kvgate/v1/cluster answered {}: {}", endpoint,
                                        res->status, res->body)};
  json doc = json::parse(res->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return {in_place_error, fmt::format("{}/.kvgate/v1/cluster: not a JSON map", endpoint)};
  return {boost::system::in_place_value, std::move(doc)};
}

std::string describe(const json& doc) {
  if (!doc.contains("cluster_id") || doc["cluster_id"].is_null()) return "no cluster map";
  return fmt::format("map version {} of cluster \"{}\"", doc.value("map_version", 0ull),
                     doc.value("cluster_id", std::string()));
}

boost::system::result<node_response, std::string> checked(
    boost::system::result<node_response, std::string> res, std::string_view what,
    const std::string& endpoint) {
  if (!res) return res;
  if (res->status != 200)
    return {in_place_error,
            fmt::format("{} on {} answered {}: {}", what, endpoint, res->status, res->body)};
  return res;
}

}  // namespace

boost::system::result<agreed_map, std::string> fetch_agreed_map(const std::string& endpoint,
                                                                const client_factory& make_client) {
  auto first = get_map(endpoint, make_client);
  if (!first) return {in_place_error, first.error()};
  const json& doc = *first;
  if (!doc.contains("cluster_id") || doc["cluster_id"].is_null())
    return {in_place_error, fmt::format("{} is not a member of a cluster (no [cluster] map): "
                                        "nothing to rebalance",
                                        endpoint)};
  agreed_map map;
  try {
    map.routing.cluster_id = doc.at("cluster_id").get<std::string>();
    map.routing.version = doc.at("map_version").get<std::uint64_t>();
    for (const auto& m : doc.at("members")) {
      map.members.push_back({m.at("id").get<std::string>(), m.at("s3_endpoint").get<std::string>(),
                             m.at("ring_name").get<std::string>(),
                             m.at("weight").get<std::uint32_t>(),
                             m.at("state").get<std::string>() == "active"});
    }
  } catch (const json::exception& e) {
    return {in_place_error,
            fmt::format("{}/.kvgate/v1/cluster: unexpected map: {}", endpoint, e.what())};
  }
  for (const auto& m : map.members) {
    if (!m.active) continue;
    auto other = get_map(m.s3_endpoint, make_client);
    if (!other)
      return {in_place_error,
              fmt::format("cannot ask member \"{}\" for its map: {}", m.id, other.error())};
    const bool same = other->value("cluster_id", json()) == doc["cluster_id"] &&
                      other->value("map_version", json()) == doc["map_version"] &&
                      other->value("members", json()) == doc["members"];
    if (!same)
      return {
          in_place_error,
          fmt::format("the members' maps disagree: member \"{}\" ({}) serves {}, {} serves {}{}. "
                      "Give every node the same map and reload it (SIGHUP) before rebalancing",
                      m.id, m.s3_endpoint, describe(*other), endpoint, describe(doc),
                      describe(*other) == describe(doc) ? " with other members" : "")};
  }
  return map;
}

boost::system::result<inventory, std::string> list_cluster(const agreed_map& map,
                                                           const std::vector<std::string>& only,
                                                           const client_factory& make_client) {
  inventory inv;
  inv.buckets_by_member.resize(map.members.size());
  for (std::size_t i = 0; i < map.members.size(); ++i) {
    const auto& member = map.members[i];
    if (!member.active) continue;
    auto client = make_client(member.s3_endpoint, map.routing);
    if (!client) return {in_place_error, client.error()};
    auto buckets = checked(client->send(node_request{}), "ListBuckets", member.s3_endpoint);
    if (!buckets) return {in_place_error, buckets.error()};
    pugi::xml_document doc;
    if (!doc.load_string(buckets->body.c_str()))
      return {in_place_error, fmt::format("ListBuckets on {}: not XML", member.s3_endpoint)};
    for (auto b : doc.select_nodes("/ListAllMyBucketsResult/Buckets/Bucket/Name")) {
      std::string name = b.node().text().as_string();
      if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
      inv.buckets_by_member[i].push_back(name);
    }
    for (const auto& bucket : inv.buckets_by_member[i]) {
      std::string token;
      for (;;) {
        node_request req;
        req.bucket = bucket;
        req.query = {{"list-type", "2", true}, {"max-keys", "1000", true}};
        if (!token.empty()) req.query.push_back({"continuation-token", token, true});
        auto page = checked(client->send(req), "ListObjectsV2 " + bucket, member.s3_endpoint);
        if (!page) return {in_place_error, page.error()};
        pugi::xml_document list;
        if (!list.load_string(page->body.c_str()))
          return {in_place_error,
                  fmt::format("ListObjectsV2 {} on {}: not XML", bucket, member.s3_endpoint)};
        auto root = list.child("ListBucketResult");
        for (auto c : root.children("Contents")) {
          inv.objects.push_back({i, bucket, c.child("Key").text().as_string(),
                                 c.child("Size").text().as_ullong(),
                                 strip_quotes(c.child("ETag").text().as_string()),
                                 c.child("LastModified").text().as_string()});
        }
        token = root.child("NextContinuationToken").text().as_string();
        if (!root.child("IsTruncated").text().as_bool() || token.empty()) break;
      }
    }
  }
  return inv;
}

}  // namespace kvgate::cli
