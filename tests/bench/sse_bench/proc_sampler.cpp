#include "proc_sampler.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace relay::bench {

namespace {

struct StatLine {
  pid_t parent = 0;
  double cpu_seconds = 0;
  bool ok = false;
};

// /proc/<pid>/stat: the command name is in parentheses and may hold spaces, so fields are
// counted from the last ')'. Field 4 is the parent, 14 and 15 are utime and stime in ticks.
StatLine read_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(line.substr(close + 2));
  std::string state;
  long parent = 0;
  fields >> state >> parent;
  std::string skip;
  for (int i = 5; i <= 13; ++i) fields >> skip;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {static_cast<pid_t>(parent), static_cast<double>(utime + stime) / ticks, !fields.fail()};
}

std::uint64_t read_rss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

}  // namespace

ProcSample sample_process_tree(pid_t pid) {
  ProcSample sample;
  const auto self = read_stat(pid);
  if (!self.ok) return sample;
  sample.found = true;
  sample.cpu_seconds = self.cpu_seconds;
  sample.rss_bytes = read_rss(pid);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return sample;
  while (const dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long child = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || child <= 0 || child == pid) continue;
    const auto stat = read_stat(static_cast<pid_t>(child));
    if (stat.ok && stat.parent == pid) {
      sample.cpu_seconds += stat.cpu_seconds;
      sample.rss_bytes += read_rss(static_cast<pid_t>(child));
    }
  }
  closedir(proc);
  return sample;
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace relay::bench
