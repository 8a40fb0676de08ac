// The TEST ONLY [testing] table: flattening into a config layer and
// validation (test_faults_config.h, docs/configuration.md "Test-only settings").
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <span>

#include "config_layer_values.h"
#include "test_faults_config_parse.h"

namespace kvgate::gateway {
namespace {

using layer_values::bounded_integer;
using layer_values::find;
using layer_values::invalid_value;

constexpr std::string_view kRulesPrefix = "testing.disk_faults.";
constexpr std::string_view kRuleFields[] = {"disk",     "op",          "kind",
                                            "delay_ms", "probability", "path_contains"};
constexpr std::string_view kOps[] = {"read", "write", "sync", "open", "list", "any"};
constexpr std::string_view kKinds[] = {"delay", "fail"};
constexpr std::uint64_t kMaxDelayMs = 600'000;

bool contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Each field's TOML type: disk and delay_ms integers, probability a number,
// the others strings.
config_result<void> add_field(const toml::node& value, std::string_view field, std::string key,
                              std::string_view origin, config_layer& layer) {
  config_value v{{}, fmt::format("{}: {}", origin, key)};
  const bool integer_field = field == "disk" || field == "delay_ms";
  const bool number_field = field == "probability";
  if (auto s = value.value<std::string>();
      s && value.is_string() && !integer_field && !number_field) {
    v.values.push_back(*s);
  } else if (auto i = value.value<std::int64_t>();
             i && value.is_integer() && (integer_field || number_field)) {
    v.values.push_back(std::to_string(*i));
  } else if (auto f = value.value<double>(); f && value.is_floating_point() && number_field) {
    v.values.push_back(fmt::format("{}", *f));
  } else {
    return invalid_value(v, key, "wrong type");
  }
  layer.insert_or_assign(std::move(key), std::move(v));
  return {};
}

config_result<std::string> one_of(const config_layer& file, const std::string& key,
                                  std::string_view fallback,
                                  std::span<const std::string_view> allowed) {
  const config_value* v = find(file, key);
  if (v == nullptr) return std::string(fallback);
  const std::string& s = v->values.front();
  if (!contains(allowed, s))
    return invalid_value(*v, key,
                         fmt::format("\"{}\" is not one of {}", s, fmt::join(allowed, ", ")));
  return s;
}

config_result<disk_fault_spec> rule_at(const config_layer& file, const std::string& prefix,
                                       std::size_t disks) {
  auto field = [&](std::string_view name) { return fmt::format("{}.{}", prefix, name); };
  disk_fault_spec r;
  if (find(file, field("disk")) == nullptr)
    return config_error{field("disk"), fmt::format("{} needs disk (1 to {})", prefix, disks)};
  auto disk = bounded_integer(file, field("disk"), 1, 1, disks);
  if (!disk) return disk.error();
  r.disk = static_cast<std::uint32_t>(*disk - 1);
  auto op = one_of(file, field("op"), "any", kOps);
  if (!op) return op.error();
  r.op = std::move(*op);
  auto kind = one_of(file, field("kind"), "delay", kKinds);
  if (!kind) return kind.error();
  r.kind = std::move(*kind);
  auto delay = bounded_integer(file, field("delay_ms"), 0, 0, kMaxDelayMs);
  if (!delay) return delay.error();
  r.delay = std::chrono::milliseconds(*delay);
  if (r.kind == "delay" && r.delay.count() == 0)
    return config_error{
        field("delay_ms"),
        fmt::format("{} is a delay rule: it needs delay_ms (1 to {})", prefix, kMaxDelayMs)};
  if (const config_value* v = find(file, field("probability"))) {
    const std::string& s = v->values.front();
    double p = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
    if (ec != std::errc() || end != s.data() + s.size() || !(p > 0.0 && p <= 1.0))
      return invalid_value(*v, field("probability"), "expected a number in (0, 1]");
    r.probability = p;
  }
  if (const config_value* v = find(file, field("path_contains")))
    r.path_contains = v->values.front();
  return r;
}

}  // namespace

config_result<void> add_testing_table(const toml::node& testing, std::string_view origin,
                                      config_layer& layer) {
  const toml::table* table = testing.as_table();
  if (table == nullptr)
    return config_error{"testing", fmt::format("invalid value for testing ({}): expected a "
                                               "[testing] table",
                                               origin)};
  for (const auto& [field_key, value] : *table) {
    const std::string_view field = field_key.str();
    if (field != "disk_faults")
      return config_error{fmt::format("testing.{}", field),
                          fmt::format("unknown configuration key testing.{} in {}", field, origin)};
    const toml::array* rules = value.as_array();
    if (rules == nullptr || !rules->is_array_of_tables())
      return config_error{"testing.disk_faults",
                          fmt::format("invalid value for testing.disk_faults ({}): expected "
                                      "[[testing.disk_faults]] tables",
                                      origin)};
    if (rules->size() > 9999)
      return config_error{"testing.disk_faults",
                          fmt::format("too many testing.disk_faults in {} (at most 9999)", origin)};
    for (std::size_t i = 0; i < rules->size(); ++i) {
      const std::string prefix = fmt::format("{}{:04}", kRulesPrefix, i);
      for (const auto& [rule_key, rule_value] : *(*rules)[i].as_table()) {
        const std::string_view name = rule_key.str();
        if (!contains(kRuleFields, name))
          return config_error{fmt::format("{}.{}", prefix, name),
                              fmt::format("unknown configuration key testing.disk_faults[{}].{} in "
                                          "{}",
                                          i, name, origin)};
        if (auto r = add_field(rule_value, name, fmt::format("{}.{}", prefix, name), origin, layer);
            !r)
          return r.error();
      }
      layer.try_emplace(prefix + ".present",
                        config_value{{"1"}, fmt::format("{}: {}", origin, prefix)});
    }
  }
  layer.try_emplace("testing.present", config_value{{"1"}, fmt::format("{}: testing", origin)});
  return {};
}

config_result<void> resolve_testing_config(const config_layer& file, std::size_t disks,
                                           test_faults_config& c) {
  if (find(file, "testing.present") == nullptr) return {};
  test_faults_config out;
  out.present = true;
  for (auto it = file.lower_bound(kRulesPrefix);
       it != file.end() && it->first.starts_with(kRulesPrefix); ++it) {
    if (!it->first.ends_with(".present")) continue;
    auto r = rule_at(file, it->first.substr(0, it->first.size() - 8), disks);
    if (!r) return r.error();
    out.disk_faults.push_back(std::move(*r));
  }
  c = std::move(out);
  return {};
}

}  // namespace kvgate::gateway
