// TEST ONLY: `kvgate serve --enable-test-faults` wraps every data directory in
// the engine's faulty_disk and installs the [[testing.disk_faults]] rules of
// the configuration file on them; SIGHUP installs the rules of the file read
// again (so a test slows a disk down and brings it back without a restart).
// docs/configuration.md, "Test-only settings".
// Thread safety: apply() may run while the store uses the disks (faulty_disk
// locks itself).
#pragma once

#include <boost/system/result.hpp>
#include <memory>
#include <string>
#include <vector>

#include "kvgate/erasure/disk.h"
#include "kvgate/erasure/faulty_disk.h"
#include "kvgate/gateway/config.h"

namespace kvgate::cli {

class test_disk_faults {
 public:
  // Opens a posix disk on every data directory (which must exist) and wraps it.
  [[nodiscard]] static boost::system::result<std::shared_ptr<test_disk_faults>, std::string> open(
      const gateway::server_config& config);

  // The wrapped disks in set order, for store_options::disks.
  std::vector<std::shared_ptr<erasure::disk>> disks() const;
  // Replaces every disk's rules with `faults`; returns a one-line summary.
  std::string apply(const gateway::test_faults_config& faults);

 private:
  std::vector<std::shared_ptr<erasure::faulty_disk>> faulty_;
};

}  // namespace kvgate::cli
