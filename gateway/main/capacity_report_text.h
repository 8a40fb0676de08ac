// The cache tier's capacity report (s3::report_json: usage, limits,
// evictions, refusals, buckets) printed for `kvgate capacity` and
// `kvgate info`: indented JSON with --json, else a few readable lines.
#pragma once

#include <nlohmann/json.hpp>

namespace kvgate::cli {

void print_capacity_report(const nlohmann::json& report, bool as_json);

}  // namespace kvgate::cli
