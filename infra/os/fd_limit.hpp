#pragma once
// File descriptors: every subscriber holds one, so the process's limit bounds how many can
// connect. The soft limit is raised to the hard one at start, and the subscriber limit is
// fitted under it with room for the listener, producers, the collector and logs: a full
// relay then answers 503 instead of failing to accept anyone.
#include <cstddef>
#include <cstdint>

namespace relay::infra {

/// The descriptor limit before and after raising the soft limit to the hard one.
struct FdLimit {
  std::uint64_t before = 0;
  std::uint64_t now = 0;
};

/// Raises RLIMIT_NOFILE's soft limit to its hard limit (when it can) and says what it is.
FdLimit raise_fd_limit();

/// Descriptors kept for everything but subscribers (listener, producers, exporter, logs).
inline constexpr std::uint64_t reserved_fds = 64;

/// The subscriber limit that fits `fd_limit` descriptors: `max_clients`, or fewer.
std::size_t clients_that_fit(std::size_t max_clients, std::uint64_t fd_limit);

}  // namespace relay::infra
