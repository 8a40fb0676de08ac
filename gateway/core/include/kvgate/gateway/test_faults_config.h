// TEST ONLY: fault rules `kvgate serve --enable-test-faults` installs on its
// disks, from [[testing.disk_faults]] tables of the TOML file (nowhere else):
//   [[testing.disk_faults]]
//   disk = 2            # 1-based position in `data`
//   op = "write"        # read | write | sync | open | list | any (default any)
//   kind = "delay"      # delay | fail (EIO) (default delay)
//   delay_ms = 500      # kind delay: added to every matching call
//   probability = 1.0   # share of matching calls it applies to, (0, 1]
//   path_contains = ""  # only calls on paths containing this
// docs/configuration.md, "Test-only settings". Plain values; the engine's
// faulty_disk applies them (gateway/main/test_disk_faults.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kvgate::gateway {

struct disk_fault_spec {
  std::uint32_t disk = 0;      // 0-based index into server_config::data_dirs
  std::string op = "any";      // read | write | sync | open | list | any
  std::string kind = "delay";  // delay | fail
  std::chrono::milliseconds delay{0};
  double probability = 1.0;
  std::string path_contains;
  friend bool operator==(const disk_fault_spec&, const disk_fault_spec&) = default;
};

struct test_faults_config {
  bool present = false;  // the file has a [testing] table
  std::vector<disk_fault_spec> disk_faults;
  friend bool operator==(const test_faults_config&, const test_faults_config&) = default;
};

}  // namespace kvgate::gateway
