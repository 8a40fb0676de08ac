// LifecycleConfiguration parse and render (lifecycle_documents.h).
#include "kvgate/s3xml/lifecycle_documents.h"

#include <fmt/format.h>

#include <charconv>
#include <set>

#include "xml_reader.h"
#include "xml_writer.h"

namespace kvgate::s3xml {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

result<std::uint32_t> positive_days(std::string_view raw, xml_errc error) {
  const std::string_view text = trim_xml_space(raw);
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n == 0 ||
      n > 2147483647u)
    return make_error_code(error);
  return n;
}

result<bool> boolean_text(std::string_view raw) {
  const std::string_view text = trim_xml_space(raw);
  if (text == "true") return true;
  if (text == "false") return false;
  return {boost::system::in_place_error, make_error_code(xml_errc::bad_boolean)};
}

// Text of an optional unique child (empty optional when absent).
result<std::optional<std::string>> optional_text(pugi::xml_node parent, std::string_view name) {
  auto child = unique_child(parent, name);
  if (!child) return child.error();
  if (!*child) return std::optional<std::string>();
  return std::optional<std::string>(element_text(**child));
}

result<void> parse_filter(pugi::xml_node filter, lifecycle_rule& rule) {
  for (pugi::xml_node child : filter.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = local_name(child);
    if (name == "And" || name == "Tag" || name == "ObjectSizeGreaterThan" ||
        name == "ObjectSizeLessThan")
      return make_error_code(xml_errc::lifecycle_unsupported);
  }
  auto prefix = optional_text(filter, "Prefix");
  if (!prefix) return prefix.error();
  if (*prefix) rule.prefix = std::move(**prefix);
  return {};
}

result<void> parse_expiration(pugi::xml_node node, lifecycle_rule& rule) {
  auto days = optional_text(node, "Days");
  if (!days) return days.error();
  auto date = optional_text(node, "Date");
  if (!date) return date.error();
  auto marker = optional_text(node, "ExpiredObjectDeleteMarker");
  if (!marker) return marker.error();
  if (*days && *date) return make_error_code(xml_errc::lifecycle_conflict);
  if (!*days && !*date && !*marker) return make_error_code(xml_errc::missing_element);
  if (*days) {
    auto n = positive_days(**days, xml_errc::lifecycle_invalid_days);
    if (!n) return n.error();
    rule.expiration_days = *n;
  }
  if (*date) {
    auto when = parse_iso8601_date(trim_xml_space(**date));
    if (!when) return make_error_code(xml_errc::lifecycle_invalid_date);
    rule.expiration_date = *when;
  }
  if (*marker) {
    auto flag = boolean_text(**marker);
    if (!flag) return flag.error();
    rule.expired_object_delete_marker = *flag;
  }
  return {};
}

result<lifecycle_rule> parse_rule(pugi::xml_node node) {
  lifecycle_rule rule;
  bool has_action = false;
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = local_name(child);
    if (name == "Transition" || name == "NoncurrentVersionTransition")
      return make_error_code(xml_errc::lifecycle_unsupported);
    if (name == "NoncurrentVersionExpiration") has_action = true;
  }
  auto id = optional_text(node, "ID");
  if (!id) return id.error();
  if (*id) {
    rule.id = std::move(**id);
    if (rule.id.size() > kMaxLifecycleIdBytes)
      return make_error_code(xml_errc::lifecycle_id_too_long);
  }
  auto filter = unique_child(node, "Filter");
  if (!filter) return filter.error();
  auto legacy = optional_text(node, "Prefix");
  if (!legacy) return legacy.error();
  if (*filter && *legacy) return make_error_code(xml_errc::lifecycle_conflict);
  if (*filter) {
    if (auto r = parse_filter(**filter, rule); !r) return r.error();
  } else if (*legacy) {
    rule.prefix = std::move(**legacy);
    rule.legacy_prefix = true;
  }
  auto status = optional_text(node, "Status");
  if (!status) return status.error();
  if (!*status) return make_error_code(xml_errc::missing_element);
  const std::string_view s = trim_xml_space(**status);
  if (s == "Enabled") {
    rule.enabled = true;
  } else if (s == "Disabled") {
    rule.enabled = false;
  } else {
    return make_error_code(xml_errc::lifecycle_bad_status);
  }
  auto expiration = unique_child(node, "Expiration");
  if (!expiration) return expiration.error();
  if (*expiration) {
    if (auto r = parse_expiration(**expiration, rule); !r) return r.error();
    has_action = true;
  }
  auto abort_node = unique_child(node, "AbortIncompleteMultipartUpload");
  if (!abort_node) return abort_node.error();
  if (*abort_node) {
    auto days = optional_text(**abort_node, "DaysAfterInitiation");
    if (!days) return days.error();
    if (!*days) return make_error_code(xml_errc::missing_element);
    auto n = positive_days(**days, xml_errc::lifecycle_invalid_abort_days);
    if (!n) return n.error();
    rule.abort_upload_days = *n;
    has_action = true;
  }
  if (!has_action) return make_error_code(xml_errc::lifecycle_no_action);
  return rule;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_date(std::string_view text) {
  unsigned y = 0, m = 0, d = 0;
  if (!digits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, m) ||
      text[7] != '-' || !digits(text, 8, 2, d))
    return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  std::int64_t yy = 0;
  unsigned mm = 0, dd = 0;
  const std::int64_t days = days_from_civil(y, m, d);
  civil_from_days(days, yy, mm, dd);
  if (mm != m || dd != d) return std::nullopt;  // 2026-02-30
  std::string_view rest = text.substr(10);
  if (!rest.empty()) {
    if (rest.size() < 9 || rest[0] != 'T' || rest.substr(1, 8) != "00:00:00") return std::nullopt;
    rest.remove_prefix(9);
    if (!rest.empty() && rest[0] == '.') {
      rest.remove_prefix(1);
      std::size_t zeros = 0;
      while (zeros < rest.size() && rest[zeros] == '0') ++zeros;
      if (zeros == 0) return std::nullopt;
      rest.remove_prefix(zeros);
    }
    if (rest != "Z" && rest != "+00:00" && !rest.empty()) return std::nullopt;
  }
  return days * 86400;
}

result<lifecycle_configuration> parse_lifecycle_configuration(std::string_view body) {
  pugi::xml_document doc;
  auto root = load_document(doc, body, kMaxLifecycleBodyBytes, "LifecycleConfiguration");
  if (!root) return root.error();
  lifecycle_configuration config;
  std::set<std::string, std::less<>> ids;
  for (pugi::xml_node child : root->children()) {
    if (child.type() != pugi::node_element || local_name(child) != "Rule") continue;
    if (config.rules.size() == kMaxLifecycleRules)
      return make_error_code(xml_errc::too_many_entries);
    auto rule = parse_rule(child);
    if (!rule) return rule.error();
    if (!rule->id.empty() && !ids.insert(rule->id).second)
      return make_error_code(xml_errc::lifecycle_duplicate_id);
    config.rules.push_back(std::move(*rule));
  }
  if (config.rules.empty()) return make_error_code(xml_errc::no_entries);
  return config;
}

std::string render_lifecycle_configuration(const lifecycle_configuration& config) {
  xml_writer out("LifecycleConfiguration");
  for (const auto& rule : config.rules) {
    pugi::xml_node node = out.root().append_child("Rule");
    if (!rule.id.empty()) add_text(node, "ID", rule.id);
    if (rule.legacy_prefix) {
      add_text(node, "Prefix", rule.prefix);
    } else {
      pugi::xml_node filter = node.append_child("Filter");
      add_text(filter, "Prefix", rule.prefix);
    }
    add_text(node, "Status", rule.enabled ? "Enabled" : "Disabled");
    if (rule.expiration_days || rule.expiration_date || rule.expired_object_delete_marker) {
      pugi::xml_node e = node.append_child("Expiration");
      if (rule.expiration_days) add_number(e, "Days", *rule.expiration_days);
      if (rule.expiration_date) {
        std::int64_t y = 0;
        unsigned m = 0, d = 0;
        civil_from_days(*rule.expiration_date / 86400, y, m, d);
        add_text(e, "Date", fmt::format("{:04}-{:02}-{:02}T00:00:00.000Z", y, m, d));
      }
      if (rule.expired_object_delete_marker) add_bool(e, "ExpiredObjectDeleteMarker", true);
    }
    if (rule.abort_upload_days) {
      pugi::xml_node a = node.append_child("AbortIncompleteMultipartUpload");
      add_number(a, "DaysAfterInitiation", *rule.abort_upload_days);
    }
  }
  return out.str();
}

}  // namespace kvgate::s3xml
