#include "process_mappings.h"

#include <charconv>
#include <fstream>
#include <string>

namespace kvgate::sdk::detail {
namespace {

std::optional<std::uintptr_t> hex(std::string_view s) {
  std::uintptr_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The next space-separated field of `line`, advancing it.
std::string_view next_field(std::string_view& line) {
  const auto begin = line.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(begin);
  const auto end = line.find(' ');
  const auto field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

}  // namespace

std::optional<process_mapping> parse_maps_line(std::string_view line) {
  const auto range = next_field(line);
  const auto perms = next_field(line);
  const auto offset = next_field(line);
  const auto device = next_field(line);
  const auto inode = next_field(line);
  if (range.empty() || perms.size() != 4 || offset.empty() || device.empty() || inode.empty())
    return std::nullopt;
  const auto dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto start = hex(range.substr(0, dash));
  const auto end = hex(range.substr(dash + 1));
  if (!start || !end || *end <= *start) return std::nullopt;
  const auto path_begin = line.find_first_not_of(' ');
  const std::string_view path =
      path_begin == std::string_view::npos ? std::string_view() : line.substr(path_begin);
  process_mapping m{*start, *end, false};
  // Anonymous: inode 0 and no path, or a name the kernel gives anonymous
  // memory ("[anon:...]" from prctl); never the heap, stacks or the vdso.
  const bool anonymous = inode == "0" && (path.empty() || path.starts_with("[anon:"));
  m.anonymous_rw = anonymous && perms[0] == 'r' && perms[1] == 'w';
  return m;
}

std::optional<process_mapping> mapping_of(const std::byte* data) {
  std::ifstream maps("/proc/self/maps");
  if (!maps) return std::nullopt;
  const auto p = reinterpret_cast<std::uintptr_t>(data);
  std::string line;
  while (std::getline(maps, line)) {
    const auto m = parse_maps_line(line);
    if (m && p >= m->start && p < m->end) return m;
  }
  return std::nullopt;
}

}  // namespace kvgate::sdk::detail
