// S3 timestamps and encoding-type=url.
#include "kvgate/s3xml/document_parts.h"

#include <fmt/format.h>

#include <chrono>

#include "kvgate/protocol/uri.h"

namespace kvgate::s3xml {

std::string format_s3_timestamp(std::int64_t unix_ns) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{floor<milliseconds>(nanoseconds(unix_ns))};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                     hms.subseconds().count());
}

std::string url_encode_for_listing(std::string_view text) {
  return protocol::uri_encode(text, protocol::slash_encoding::keep);
}

}  // namespace kvgate::s3xml
