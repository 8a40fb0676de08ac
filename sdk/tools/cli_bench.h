// `kvgate-cli bench`: a bounded KV-segment workload through the SDK (put,
// get, a read/write mix, or exists_batch against serial HEADs), printing
// throughput and latency percentiles (a table line, or one JSON object).
#pragma once

#include <cstdint>
#include <string>

#include "kvgate/sdk/client.h"

namespace kvgate::sdk::tools {

struct bench_options {
  std::string bucket;
  std::string prefix;                // object names: <prefix>k<i> (exists: <prefix>e<i>)
  std::string op = "get";            // put | get | mix | exists
  std::uint64_t size = 32ull << 20;  // bytes per object
  unsigned concurrency = 1;          // operations in flight (one thread each)
  unsigned count = 64;               // operations at most (exists: rounds of each kind)
  double seconds = 30;               // time budget of the measured part
  unsigned keys = 0;                 // distinct objects (0: 2 x concurrency); exists: keys a round
  unsigned write_percent = 50;       // mix: share of puts
  unsigned miss_percent = 10;        // exists: keys never written
  bool populate = true;              // write the objects reads need first (unmeasured)
  bool json = false;
};

// Runs the workload (after writing the objects reads need, unmeasured) and
// prints the result; returns the process exit code (1 when any operation failed).
int run_bench(client& c, const bench_options& o);

// "32MiB", "4KiB", "1GiB", "4096" -> bytes; nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace kvgate::sdk::tools
