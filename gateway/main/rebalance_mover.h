// One planned move of `kvgate rebalance` carried out: GET from the holder
// (the body verified against its MD5 or XXH3 ETag unless multipart), PUT to the owner
// with If-None-Match: * (a 412 means the owner already has the key, whose
// copy wins: "already there"), the bucket created on the owner if missing,
// the owner's copy verified (the PUT's ETag is the MD5 or XXH3 of the bytes sent; a
// HEAD shows that size and ETag), then the holder's copy deleted unless
// --keep. A copy the listing found on the owner already is checked with a
// HEAD before the old one goes. The only buffer is the one object in hand.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "kvgate/gateway/config.h"
#include "kvgate/gateway/dev_credentials.h"
#include "rebalance_inventory.h"
#include "rebalance_plan.h"
#include "token_bucket.h"

namespace kvgate::cli {

enum class move_result {
  moved,          // copied, verified (and the old copy removed unless --keep)
  already_there,  // the owner had the key (same ETag, or a 412): old copy removed unless --keep
  vanished,       // the holder no longer has it (deleted or evicted meanwhile)
  failed,
  map_mismatch,  // a node refused with 421: its map changed under the rebalance
};

struct move_outcome {
  move_result result = move_result::failed;
  std::string message;  // why, for failed / map_mismatch
  bool old_removed = false;
};

struct mover_settings {
  const agreed_map* map = nullptr;
  gateway::credentials root;
  std::string region;
  std::uint64_t max_object_size = 0;
  bool keep = false;
  token_bucket* rate = nullptr;
  std::string ca_file;  // trusted for https members (empty: the system's)
};

// A worker's connections (one per member, made on first use) and its moves.
class mover {
 public:
  explicit mover(const mover_settings& settings);
  move_outcome move(const planned_move& m);

 private:
  boost::system::result<node_client*, std::string> client(std::size_t member);
  move_outcome remove_old(const planned_move& m, move_result result);
  const mover_settings& settings_;
  std::vector<std::optional<node_client>> clients_;
};

}  // namespace kvgate::cli
