// What the workload generator reads about the server process from /proc:
// CPU seconds used so far (utime + stime of /proc/PID/stat, which cover all
// of the process's threads) and memory (VmRSS, VmHWM of /proc/PID/status).
// Also raises this process's open-file limit for runs with many connections.
//
// Pure functions of the /proc files; thread-safe.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace kvgate::perf {

struct server_sample {
  double cpu_seconds = 0;
  std::size_t rss_kib = 0;
  std::size_t hwm_kib = 0;  // peak RSS since the process started
};

// nullopt when the process is gone or its files are unreadable.
inline std::optional<server_sample> sample_server(pid_t pid) {
  server_sample s;
  {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return std::nullopt;
    const auto paren = text.rfind(')');  // the command name may contain spaces
    if (paren == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(paren + 1));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;  // fields 3..13: state .. cmajflt
    unsigned long long utime = 0, stime = 0;
    if (!(fields >> utime >> stime)) return std::nullopt;
    s.cpu_seconds =
        static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream in(line);
    std::string name;
    std::size_t kib = 0;
    in >> name >> kib;
    if (name == "VmRSS:") s.rss_kib = kib;
    if (name == "VmHWM:") s.hwm_kib = kib;
  }
  return s;
}

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
inline std::size_t raise_open_file_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
    ::getrlimit(RLIMIT_NOFILE, &r);
  }
  return static_cast<std::size_t>(r.rlim_cur);
}

}  // namespace kvgate::perf
