#include "infra/os/process_stats.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include <doctest/doctest.h>

using relay::infra::parse_proc_stat;
using relay::infra::read_process_stats;

TEST_CASE("process stats: a /proc stat line, its name holding ') ' and spaces, is parsed by field") {
  // Fields from 3 on: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15) cutime cstime priority nice num_threads(20) itrealvalue starttime(22)
  // vsize(23) rss(24) ...
  const auto line =
      "4242 (sse ) relay) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 3 0 12000 "
      "104857600 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  const auto stats = parse_proc_stat(line, 100.0, 4096, 1'700'000'000.0);
  REQUIRE(stats);
  CHECK(stats->cpu_seconds == doctest::Approx(3.0));  // (250 + 50) ticks at 100/s
  CHECK(stats->start_time_seconds == doctest::Approx(1'700'000'120.0));
  CHECK(stats->resident_bytes == 2048ULL * 4096);
  CHECK(stats->virtual_bytes == 104857600ULL);
  CHECK(stats->threads == 3);
  CHECK_FALSE(parse_proc_stat("4242 (truncated) S 1 2", 100.0, 4096, 0));
  CHECK_FALSE(parse_proc_stat("no name at all", 100.0, 4096, 0));
}

TEST_CASE("process stats of this process: descriptors counted as they open, start time in the past") {
  const auto before = read_process_stats();
  REQUIRE(before);
  const int fd = ::open("/dev/null", O_RDONLY);
  REQUIRE(fd >= 0);
  const auto after = read_process_stats();
  ::close(fd);
  REQUIRE(after);
  CHECK(after->open_fds == before->open_fds + 1);
  CHECK(after->max_fds >= after->open_fds);
  CHECK(after->resident_bytes > 1024 * 1024);
  const auto now_s = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  CHECK(after->start_time_seconds <= now_s + 1);
  CHECK(after->start_time_seconds > now_s - 24 * 3600);
  CHECK(after->threads >= 1);
}
