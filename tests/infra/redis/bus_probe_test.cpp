#include "infra/redis/bus_probe.hpp"

#include <doctest/doctest.h>

using namespace relay;
using relay::infra::BusLoss;
using relay::infra::BusPosition;
using relay::infra::BusProbe;
using relay::infra::judge_bus;

TEST_CASE("the stream still holds what was folded: no loss") {
  CHECK(judge_bus({"e1", domain::EventId{50, 0}, 3}, {"e1", {40, 2}}) == BusLoss::none);
  // Caught up exactly.
  CHECK(judge_bus({"e1", domain::EventId{40, 2}, 0}, {"e1", {40, 2}}) ==
        BusLoss::none);
  // A fresh replica on an empty bus, and one that has not learnt the epoch yet.
  CHECK(judge_bus({"", std::nullopt, 0}, {"", {0, 0}}) == BusLoss::none);
  CHECK(judge_bus({"e1", domain::EventId{5, 0}, 1}, {"", {0, 0}}) == BusLoss::none);
}

TEST_CASE("a wiped or replaced stream is a changed epoch, even before anything is appended") {
  CHECK(judge_bus({"", std::nullopt, 0}, {"e1", {40, 2}}) == BusLoss::epoch_changed);
  CHECK(judge_bus({"e2", domain::EventId{90, 0}, 1}, {"e1", {40, 2}}) ==
        BusLoss::epoch_changed);
}

TEST_CASE("a stream that ends before the last id folded was rewound (failover to a lagging copy)") {
  CHECK(judge_bus({"e1", domain::EventId{39, 0}, 0}, {"e1", {40, 2}}) ==
        BusLoss::rewound);
  CHECK(judge_bus({"e1", std::nullopt, 0}, {"e1", {40, 2}}) == BusLoss::rewound);
}


TEST_CASE("lag in milliseconds: the newest entry's time less the last folded one's, never from 0-0") {
  using relay::infra::lag_ms;
  using relay::domain::EventId;
  CHECK(lag_ms({1'796'610'550'000, 3}, EventId{1'796'610'557'155, 0}) == 7155);
  CHECK(lag_ms({1'796'610'557'155, 0}, EventId{1'796'610'557'155, 0}) == 0);  // caught up
  CHECK(lag_ms({1'796'610'557'155, 0}, EventId{1'796'610'557'155, 9}) == 0);  // same ms
  CHECK(lag_ms({1'796'610'557'155, 0}, std::nullopt) == 0);                   // empty stream
  CHECK(lag_ms({1'796'610'557'155, 0}, EventId{1'796'610'000'000, 0}) == 0);  // ahead (rewound)
  // A replica that folded nothing yet: no time behind to speak of (it read 1796610557155).
  CHECK(lag_ms({0, 0}, EventId{1'796'610'557'155, 0}) == 0);
}
