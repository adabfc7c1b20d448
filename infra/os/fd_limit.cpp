#include "infra/os/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace relay::infra {

FdLimit raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  FdLimit out{limit.rlim_cur, limit.rlim_cur};
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) out.now = raised.rlim_cur;
  }
  return out;
}

std::size_t clients_that_fit(std::size_t max_clients, std::uint64_t fd_limit) {
  if (fd_limit == 0 || fd_limit == RLIM_INFINITY) return max_clients;  // unknown or unlimited
  const auto room = fd_limit > 2 * reserved_fds ? fd_limit - reserved_fds : fd_limit / 2;
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(max_clients, std::max<std::uint64_t>(room, 1)));
}

}  // namespace relay::infra
