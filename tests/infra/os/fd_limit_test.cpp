#include "infra/os/fd_limit.hpp"

#include <sys/resource.h>

#include <doctest/doctest.h>

using namespace relay::infra;

TEST_CASE("the subscriber limit fits under the descriptor limit, leaving the reserve") {
  CHECK(clients_that_fit(10000, 1024) == 1024 - reserved_fds);
  CHECK(clients_that_fit(500, 1024) == 500);
  CHECK(clients_that_fit(10000, 100) == 50);  // tiny limits: half for subscribers
  CHECK(clients_that_fit(10000, 1) == 1);
  CHECK(clients_that_fit(10000, 0) == 10000);  // unknown
  CHECK(clients_that_fit(10000, RLIM_INFINITY) == 10000);
}

TEST_CASE("the soft descriptor limit is raised to the hard one") {
  const auto fds = raise_fd_limit();
  rlimit now{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &now) == 0);
  CHECK(fds.now == now.rlim_cur);
  CHECK(now.rlim_cur == now.rlim_max);
  CHECK(fds.now >= fds.before);
}
