#include "service/batch_planner.hpp"

#include <doctest/doctest.h>

using namespace relay::service;
using relay::domain::EventId;

namespace {
SubscriptionFilter filter(std::vector<std::string> types, std::vector<std::string> workers = {}) {
  auto f = SubscriptionFilter::parse(types, workers);
  REQUIRE(std::holds_alternative<SubscriptionFilter>(f));
  return std::get<SubscriptionFilter>(f);
}
void add(FrameLog& log, std::uint64_t ms, std::string type, std::string key = "",
         std::string worker = "", std::size_t size = 10) {
  log.append(EventId{ms, 0}, std::move(type), std::move(key), std::move(worker),
             std::make_shared<const std::string>(size, 'x'));
}
}  // namespace

TEST_CASE("a batch takes matching entries after the cursor, in order") {
  FrameLog log(100);
  add(log, 1, "a");
  add(log, 2, "b");
  add(log, 3, "a");
  auto plan = plan_batch(log, 0, filter({"a"}), {});
  CHECK(plan.positions == std::vector<LogPosition>{0, 2});
  CHECK(plan.next_cursor == 3);
  CHECK(plan.bytes == 20);
  CHECK(plan_batch(log, 3, filter({}), {}).positions.empty());
}

TEST_CASE("a behind subscriber gets only the newest frame per conflation key, every other event") {
  FrameLog log(100);
  add(log, 1, "m", "m\nw1");
  add(log, 2, "life");
  add(log, 3, "m", "m\nw2");
  add(log, 4, "m", "m\nw1");
  add(log, 5, "life");
  add(log, 6, "m", "m\nw1");
  auto plan = plan_batch(log, 0, filter({}), {});
  CHECK(plan.positions == std::vector<LogPosition>{1, 2, 4, 5});
  CHECK(plan.conflated == 2);
}

TEST_CASE("batch limits cap frames and bytes but always take at least one") {
  FrameLog log(100);
  for (std::uint64_t i = 1; i <= 10; ++i) add(log, i, "a", "", "", 100);
  auto by_frames = plan_batch(log, 0, filter({}), {3, 1 << 20});
  CHECK(by_frames.positions.size() == 3);
  CHECK(by_frames.next_cursor == 3);
  auto by_bytes = plan_batch(log, 0, filter({}), {100, 250});
  CHECK(by_bytes.positions.size() == 2);
  auto huge = plan_batch(log, 0, filter({}), {100, 10});
  CHECK(huge.positions.size() == 1);
}

TEST_CASE("without conflation every matching entry is planned") {
  FrameLog log(16);
  add(log, 1, "m", "m\nw1");
  add(log, 2, "m", "m\nw1");
  add(log, 3, "life");
  auto plan = plan_batch(log, 0, filter({}), {}, /*conflate=*/false);
  CHECK(plan.positions.size() == 3);
  CHECK(plan.conflated == 0);
  CHECK(plan.next_cursor == 3);
}
