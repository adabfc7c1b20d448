#include "infra/os/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace relay::infra {

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<double> boot_time_seconds() {
  std::istringstream lines(read_file("/proc/stat"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("btime ")) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

std::uint64_t count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  std::uint64_t n = 0;
  while (const auto* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // the directory stream's own descriptor is not the process's
}

}  // namespace

std::optional<ProcessStats> parse_proc_stat(std::string_view stat, double ticks_per_second,
                                            std::uint64_t page_bytes, double boot_time_s) {
  // "pid (comm) state ppid ...": the fields after the name, counted from field 3 (state).
  const auto name_end = stat.rfind(')');
  if (name_end == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::vector<std::string_view> fields;
  auto rest = stat.substr(name_end + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  // proc(5) numbers from 1: utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24;
  // fields[0] is field 3.
  auto field = [&](std::size_t number) -> std::optional<std::uint64_t> {
    if (number < 3 || number - 3 >= fields.size()) return std::nullopt;
    std::uint64_t value = 0;
    const auto text = fields[number - 3];
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return value;
  };
  const auto utime = field(14), stime = field(15), threads = field(20), start = field(22),
             vsize = field(23), rss = field(24);
  if (!utime || !stime || !threads || !start || !vsize || !rss) return std::nullopt;
  ProcessStats out;
  out.cpu_seconds = static_cast<double>(*utime + *stime) / ticks_per_second;
  out.start_time_seconds = boot_time_s + static_cast<double>(*start) / ticks_per_second;
  out.resident_bytes = *rss * page_bytes;
  out.virtual_bytes = *vsize;
  out.threads = *threads;
  return out;
}

std::optional<ProcessStats> read_process_stats() {
  const auto boot = boot_time_seconds();
  if (!boot) return std::nullopt;
  auto stats = parse_proc_stat(read_file("/proc/self/stat"),
                               static_cast<double>(::sysconf(_SC_CLK_TCK)),
                               static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)), *boot);
  if (!stats) return std::nullopt;
  stats->open_fds = count_open_fds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats->max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : static_cast<std::uint64_t>(limit.rlim_cur);
  }
  return stats;
}

}  // namespace relay::infra
