#include "service/frame_log.hpp"

#include <stdexcept>

#include <doctest/doctest.h>

using namespace relay::service;
using relay::domain::EventId;

namespace {
std::shared_ptr<const std::string> bytes(std::size_t n) {
  return std::make_shared<const std::string>(n, 'x');
}
void fill_log(FrameLog& log, std::uint64_t from_ms, int count, std::size_t size = 10) {
  for (int i = 0; i < count; ++i) {
    log.append(EventId{from_ms + static_cast<std::uint64_t>(i), 0}, "t", "", "", bytes(size));
  }
}
}  // namespace

TEST_CASE("the log keeps the newest entries and stable positions") {
  FrameLog log(3);
  CHECK(log.empty());
  fill_log(log, 1, 5);
  CHECK(log.size() == 3);
  CHECK(log.begin_position() == 2);
  CHECK(log.end_position() == 5);
  CHECK(log.has_trimmed());
  CHECK(log.oldest().id == EventId{3, 0});
  CHECK(log.at(4).id == EventId{5, 0});
  CHECK(log.find(EventId{4, 0}) == 3);
  CHECK_FALSE(log.find(EventId{1, 0}));
  CHECK_FALSE(log.find(EventId{4, 1}));
}

TEST_CASE("cumulative bytes tell how far behind a position is") {
  FrameLog log(2);
  log.append(EventId{1, 0}, "t", "", "", bytes(10));
  log.append(EventId{2, 0}, "t", "", "", bytes(20));
  log.append(EventId{3, 0}, "t", "", "", bytes(30));
  CHECK(log.total_bytes() == 60);
  CHECK(log.bytes_before(1) == 10);
  CHECK(log.bytes_before(2) == 30);
  CHECK(log.bytes_before(3) == 60);
  CHECK(log.retained_bytes() == 50);
}

TEST_CASE("ids must increase") {
  FrameLog log(4);
  log.append(EventId{2, 0}, "t", "", "", bytes(1));
  CHECK_THROWS_AS(log.append(EventId{2, 0}, "t", "", "", bytes(1)), std::logic_error);
  CHECK_THROWS_AS(FrameLog(0), std::invalid_argument);
}

TEST_CASE("the log is trimmed by bytes as well as by count, keeping the newest entry") {
  FrameLog log(100, 1000);
  fill_log(log, 1, 5, 300);  // 1,500 bytes offered: the oldest go until at most 1,000 remain
  CHECK(log.size() == 3);
  CHECK(log.retained_bytes() == 900);
  CHECK(log.begin_position() == 2);
  CHECK(log.has_trimmed());
  log.append(EventId{100, 0}, "t", "", "", bytes(5000));  // larger than the cap alone
  CHECK(log.size() == 1);
  CHECK(log.newest().id == EventId{100, 0});
  FrameLog by_count(2, 1'000'000);
  fill_log(by_count, 1, 3, 10);
  CHECK(by_count.size() == 2);  // the count bound still holds
}
