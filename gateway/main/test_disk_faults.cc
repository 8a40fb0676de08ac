// TEST ONLY disk faults for `kvgate serve` (test_disk_faults.h).
#include "test_disk_faults.h"

#include <fmt/format.h>

#include <vector>

namespace kvgate::cli {
namespace {

namespace er = kvgate::erasure;

// The engine operations an operation class of the configuration stands for.
std::vector<er::disk_op> ops_of(std::string_view op_class) {
  using o = er::disk_op;
  if (op_class == "read") return {o::pread};
  if (op_class == "write") return {o::pwrite};
  if (op_class == "sync") return {o::sync, o::sync_dir};
  if (op_class == "open") return {o::open_read, o::create};
  if (op_class == "list") return {o::list, o::exists};
  return {o::any};
}

}  // namespace

boost::system::result<std::shared_ptr<test_disk_faults>, std::string> test_disk_faults::open(
    const gateway::server_config& config) {
  auto faults = std::make_shared<test_disk_faults>();
  for (const auto& dir : config.data_dirs) {
    auto inner = er::open_posix_disk(dir);
    if (!inner)
      return fmt::format("cannot open data directory {}: {}", dir.string(),
                         inner.error().message());
    faults->faulty_.push_back(er::make_faulty_disk(std::move(*inner)));
  }
  faults->apply(config.testing);
  return faults;
}

std::vector<std::shared_ptr<erasure::disk>> test_disk_faults::disks() const {
  return {faulty_.begin(), faulty_.end()};
}

std::string test_disk_faults::apply(const gateway::test_faults_config& faults) {
  for (auto& d : faulty_) d->clear_faults();
  std::string summary;
  for (const auto& spec : faults.disk_faults) {
    if (spec.disk >= faulty_.size()) continue;  // validated against the data list
    for (er::disk_op op : ops_of(spec.op)) {
      er::fault_rule rule;
      rule.op = op;
      rule.path_contains = spec.path_contains;
      rule.persistent = true;
      rule.kind = spec.kind == "fail" ? er::fault_kind::fail : er::fault_kind::delay;
      rule.delay = spec.delay;
      rule.probability = spec.probability;
      faulty_[spec.disk]->add_fault(std::move(rule));
    }
    summary += fmt::format("{}disk {}: {} {}{}{}", summary.empty() ? "" : "; ", spec.disk + 1,
                           spec.op, spec.kind,
                           spec.kind == "delay" ? fmt::format(" {} ms", spec.delay.count()) : "",
                           spec.probability < 1.0 ? fmt::format(" p={}", spec.probability) : "");
  }
  return summary.empty() ? std::string("no disk faults") : summary;
}

}  // namespace kvgate::cli
