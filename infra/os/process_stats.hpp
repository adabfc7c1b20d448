#pragma once
// The standard process_* figures of Prometheus client libraries (resident memory, descriptors
// open and allowed, CPU seconds, start time), read from /proc at scrape time. prometheus-cpp's
// core has no process collector; these are the names every dashboard and alert expects.
#include <cstdint>
#include <optional>
#include <string_view>

namespace relay::infra {

struct ProcessStats {
  double cpu_seconds = 0;           ///< user + system
  double start_time_seconds = 0;    ///< Unix time the process started
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;        ///< RLIMIT_NOFILE's soft limit
  std::uint64_t threads = 0;
};

/// This process's figures now; nullopt where /proc cannot be read (not Linux).
std::optional<ProcessStats> read_process_stats();

/// The fields of a /proc/<pid>/stat line that ProcessStats needs, parsed: `stat` the line,
/// `ticks_per_second` sysconf(_SC_CLK_TCK), `page_bytes` the page size, `boot_time_s` btime
/// from /proc/stat. A name holding ") " cannot confuse it (the last ')' ends the name).
std::optional<ProcessStats> parse_proc_stat(std::string_view stat, double ticks_per_second,
                                            std::uint64_t page_bytes, double boot_time_s);

}  // namespace relay::infra
