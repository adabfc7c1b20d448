#include "service/subscription_filter.hpp"

#include <doctest/doctest.h>

using namespace relay::service;

namespace {
SubscriptionFilter filter(std::vector<std::string> types, std::vector<std::string> workers = {}) {
  auto f = SubscriptionFilter::parse(types, workers);
  REQUIRE(std::holds_alternative<SubscriptionFilter>(f));
  return std::get<SubscriptionFilter>(f);
}
}  // namespace

TEST_CASE("filters: exact types, prefix.* patterns and workers") {
  auto f = filter({"worker.created,worker.metrics.*"}, {"w-1", "w-2"});
  CHECK(f.matches("worker.created", "w-1"));
  CHECK(f.matches("worker.metrics.updated", "w-2"));
  CHECK_FALSE(f.matches("worker.status.updated", "w-1"));
  CHECK_FALSE(f.matches("worker.created", "w-3"));
  CHECK_FALSE(f.matches("worker.created", ""));
  CHECK(filter({}).matches("anything", ""));
  CHECK(filter({"*"}).matches_everything());
  CHECK(filter({"a", "b"}).matches("b", ""));
  for (const char* bad : {"wor*ker", "*.x", ".*", "a b", "heartbeat"}) {
    CAPTURE(bad);
    CHECK(std::holds_alternative<std::string>(SubscriptionFilter::parse({bad}, {})));
  }
}

TEST_CASE("filters: worker ids are repeatable and comma lists; bad ids are refused") {
  auto f = filter({}, {"a,b", "c"});
  for (const char* id : {"a", "b", "c"}) CHECK(f.matches("lab.progress", id));
  CHECK_FALSE(f.matches("lab.progress", "d"));
  CHECK_FALSE(f.matches_everything());
  CHECK(
      std::holds_alternative<std::string>(SubscriptionFilter::parse({}, {std::string(300, 'w')})));
  CHECK(std::holds_alternative<std::string>(SubscriptionFilter::parse({}, {"a\nb"})));
}

TEST_CASE(
    "filters: repeated entries are kept once; more than the cap of distinct ones is refused") {
  std::string many_same;
  for (int i = 0; i < 7000; ++i) many_same += "a,";
  auto same = SubscriptionFilter::parse({"x", "x,x"}, {many_same});
  REQUIRE(std::holds_alternative<SubscriptionFilter>(same));
  CHECK(std::get<SubscriptionFilter>(same).entries() == 2);  // x and a
  std::string distinct;
  for (std::size_t i = 0; i <= SubscriptionFilter::max_entries; ++i) {
    distinct += "w" + std::to_string(i) + ",";
  }
  auto refused = SubscriptionFilter::parse({}, {distinct});
  REQUIRE(std::holds_alternative<std::string>(refused));
  CHECK(std::get<std::string>(refused).starts_with("worker: at most 64"));
  std::vector<std::string> types;
  for (std::size_t i = 0; i <= SubscriptionFilter::max_entries; ++i) {
    types.push_back("t" + std::to_string(i));
  }
  CHECK(std::get<std::string>(SubscriptionFilter::parse(types, {})).starts_with("types: at most"));
}
