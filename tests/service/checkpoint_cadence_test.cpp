#include "service/checkpoint_cadence.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using relay::service::CheckpointCadence;

namespace {
const CheckpointCadence::time_point t0 = std::chrono::steady_clock::time_point{} + 1h;
}

TEST_CASE("checkpoints: every N events folded, or every interval while anything was folded") {
  CheckpointCadence cadence(100, 60s);
  CHECK_FALSE(cadence.take_due(t0));  // nothing folded
  cadence.folded(99);
  CHECK_FALSE(cadence.take_due(t0));
  cadence.folded();
  CHECK(cadence.take_due(t0 + 1s));  // by count
  CHECK_FALSE(cadence.take_due(t0 + 2s));
  cadence.folded(3);
  CHECK_FALSE(cadence.take_due(t0 + 60s));
  CHECK(cadence.take_due(t0 + 61s));  // by time, a minute after the last one
  CHECK_FALSE(cadence.take_due(t0 + 200s));  // idle: nothing new, nothing written
}

TEST_CASE("checkpoints: a rebuild starts the count again; interval 0 means by count only") {
  CheckpointCadence cadence(10, 0s);
  cadence.folded(9);
  cadence.restarted();
  cadence.folded(9);
  CHECK_FALSE(cadence.take_due(t0 + 24h));
  cadence.folded();
  CHECK(cadence.take_due(t0 + 24h));
}

TEST_CASE("checkpoints: by count never sooner than the spacing after the last one") {
  CheckpointCadence cadence(10, 60s, 5000ms);
  cadence.folded(10);
  CHECK(cadence.take_due(t0));  // the first one at once
  cadence.folded(30);
  CHECK_FALSE(cadence.take_due(t0 + 1s));
  CHECK_FALSE(cadence.take_due(t0 + 4999ms));
  CHECK(cadence.take_due(t0 + 5s));  // what was folded meanwhile waited, nothing lost
  cadence.folded(10);
  CHECK_FALSE(cadence.take_due(t0 + 6s));
}
