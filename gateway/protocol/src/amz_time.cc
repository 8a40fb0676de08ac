// ISO 8601 basic and RFC 1123 timestamps, clock-skew check.
#include "kvgate/protocol/amz_time.h"

#include <array>
#include <charconv>
#include <cstdio>

namespace kvgate::protocol {
namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool parse_fixed(std::string_view s, int& out) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

result<sys_seconds> make_time(int y, int mo, int d, int h, int mi, int s) noexcept {
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return protocol_errc::bad_amz_date;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
}

}  // namespace

result<sys_seconds> parse_amz_date(std::string_view t) {
  if (t.size() != 16 || t[8] != 'T' || t[15] != 'Z') return protocol_errc::bad_amz_date;
  int y, mo, d, h, mi, s;
  if (!parse_fixed(t.substr(0, 4), y) || !parse_fixed(t.substr(4, 2), mo) ||
      !parse_fixed(t.substr(6, 2), d) || !parse_fixed(t.substr(9, 2), h) ||
      !parse_fixed(t.substr(11, 2), mi) || !parse_fixed(t.substr(13, 2), s)) {
    return protocol_errc::bad_amz_date;
  }
  return make_time(y, mo, d, h, mi, s);
}

std::string format_amz_date(sys_seconds t) {
  const auto day_point = floor<days>(t);
  const year_month_day ymd{day_point};
  const hh_mm_ss hms{t - day_point};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string format_scope_date(sys_seconds t) {
  return format_amz_date(t).substr(0, 8);
}

result<sys_seconds> parse_http_date(std::string_view t) {
  // "Fri, 24 May 2013 00:00:00 GMT": fixed layout, 29 characters.
  if (t.size() != 29 || t[3] != ',' || t[4] != ' ' || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' ||
      t[19] != ':' || t[22] != ':' || t[25] != ' ') {
    if (t.size() == 31 && (t.substr(26) == "+0000" || t.substr(26) == "-0000")) {
      return parse_http_date(std::string(t.substr(0, 26)) + "GMT");
    }
    return protocol_errc::bad_amz_date;
  }
  const std::string_view zone = t.substr(26);
  if (zone != "GMT" && zone != "UTC") return protocol_errc::bad_amz_date;
  int mo = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == t.substr(8, 3)) mo = static_cast<int>(i) + 1;
  }
  int y, d, h, mi, s;
  if (mo == 0 || !parse_fixed(t.substr(5, 2), d) || !parse_fixed(t.substr(12, 4), y) ||
      !parse_fixed(t.substr(17, 2), h) || !parse_fixed(t.substr(20, 2), mi) ||
      !parse_fixed(t.substr(23, 2), s)) {
    return protocol_errc::bad_amz_date;
  }
  return make_time(y, mo, d, h, mi, s);
}

result<void> check_clock_skew(sys_seconds request_time, sys_seconds now, seconds max_skew) {
  const auto diff = request_time > now ? request_time - now : now - request_time;
  if (diff > max_skew) return protocol_errc::request_time_too_skewed;
  return {};
}

}  // namespace kvgate::protocol
