#include "access_log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <nlohmann/json.hpp>

namespace kvgate::gateway {

access_log::access_log(std::string_view target, access_log_style style) : style_(style) {
  spdlog::sink_ptr sink;
  if (target == "off") return;
  if (target == "stdout") {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else if (target == "stderr") {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(std::string(target));
  }
  logger_ = std::make_shared<spdlog::logger>("access", std::move(sink));
  logger_->set_pattern(style == access_log_style::json ? "%v" : "%Y-%m-%dT%H:%M:%S.%eZ %v",
                       spdlog::pattern_time_type::utc);
  logger_->flush_on(spdlog::level::info);
}

void access_log::write(const access_record& r) {
  if (!logger_) return;
  const auto ms = static_cast<double>(r.duration.count()) / 1000.0;
  if (style_ == access_log_style::json) {
    nlohmann::json j = {
        {"remote", r.remote}, {"method", r.method},         {"target", r.target},
        {"status", r.status}, {"bytes_in", r.bytes_in},     {"bytes_out", r.bytes_out},
        {"duration_ms", ms},  {"request_id", r.request_id}, {"tls", r.tls}};
    logger_->info(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    logger_->info("{} \"{} {}\" {} {} {} {:.3f}ms {}{}", r.remote, r.method, r.target, r.status,
                  r.bytes_in, r.bytes_out, ms, r.request_id, r.tls ? " tls" : "");
  }
}

}  // namespace kvgate::gateway
