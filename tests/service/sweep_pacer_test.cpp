#include "service/sweep_pacer.hpp"

#include <doctest/doctest.h>

using namespace relay::service;
using namespace std::chrono_literals;

namespace {
const SweepPacer::time_point pacer_t0{std::chrono::seconds(50)};
}

TEST_CASE("after a quiet sweep (at most one new entry) the next sweep is due at once") {
  SweepPacer p(30ms);
  CHECK(p.next_due(pacer_t0) == pacer_t0);  // nothing swept yet
  CHECK(p.start(pacer_t0, 1) == 1);   // carried one entry
  CHECK(p.next_due(pacer_t0 + 1ms) == pacer_t0 + 1ms);
  p.start(pacer_t0 + 2ms, 1);  // nothing new: still quiet
  CHECK(p.next_due(pacer_t0 + 3ms) == pacer_t0 + 3ms);
}

TEST_CASE("under load the next sweep waits for the flush interval after the last one began") {
  SweepPacer p(30ms);
  CHECK(p.start(pacer_t0, 5) == 5);  // carried five entries: load
  CHECK(p.next_due(pacer_t0 + 1ms) == pacer_t0 + 30ms);
  CHECK(p.next_due(pacer_t0 + 45ms) == pacer_t0 + 45ms);  // a long sweep is followed directly
  CHECK(p.carried_end() == 5);
  p.start(pacer_t0 + 45ms, 6);  // one more: quiet again
  CHECK(p.next_due(pacer_t0 + 46ms) == pacer_t0 + 46ms);
  SweepPacer back_to_back(0ms);
  back_to_back.start(pacer_t0, 100);
  CHECK(back_to_back.next_due(pacer_t0) == pacer_t0);
}

TEST_CASE("the tick follows the heartbeat and the write timeout, within 5 ms .. 1 s") {
  CHECK(SweepPacer::tick_period(30000ms, 0ms) == 1000ms);
  CHECK(SweepPacer::tick_period(200ms, 0ms) == 50ms);
  CHECK(SweepPacer::tick_period(10ms, 0ms) == 5ms);
  CHECK(SweepPacer::tick_period(30000ms, 400ms) == 100ms);
  CHECK(SweepPacer::tick_period(30000ms, 8ms) == 5ms);
}
