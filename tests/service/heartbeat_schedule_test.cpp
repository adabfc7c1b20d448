#include "service/heartbeat_schedule.hpp"

#include <doctest/doctest.h>

using namespace relay::service;

TEST_CASE("heartbeats are due after the configured silence, counted from the last write") {
  using namespace std::chrono;
  const HeartbeatSchedule::clock::time_point t0{};
  HeartbeatSchedule hb(milliseconds(100), t0);
  CHECK_FALSE(hb.due(t0 + milliseconds(99)));
  CHECK(hb.due(t0 + milliseconds(100)));
  hb.on_write(t0 + milliseconds(90));
  CHECK_FALSE(hb.due(t0 + milliseconds(150)));
  CHECK(hb.deadline() == t0 + milliseconds(190));
}
