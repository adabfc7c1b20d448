#pragma once
// CPU time and resident memory of a server process and its children, read from /proc
// (nginx's work happens in a worker forked by the master, so children count).
#include <sys/types.h>
#include <cstdint>
#include <vector>

namespace relay::bench {

struct ProcSample {
  double cpu_seconds = 0;       ///< user + system, the process and its direct children
  std::uint64_t rss_bytes = 0;  ///< VmRSS summed the same way
  bool found = false;           ///< false when the pid does not exist
};

/// Samples `pid` and every process whose parent it is.
ProcSample sample_process_tree(pid_t pid);

/// CPU seconds this process has used (user + system).
double own_cpu_seconds();

}  // namespace relay::bench
