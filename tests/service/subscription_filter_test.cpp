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

namespace {
SubscriptionFilter grant(std::vector<std::string> types, std::vector<std::string> workers = {},
                         std::vector<std::string> regions = {}) {
  auto g = SubscriptionFilter::grant(types, workers, std::move(regions));
  REQUIRE(std::holds_alternative<SubscriptionFilter>(g));
  return std::get<SubscriptionFilter>(g);
}
std::string refusal(const SubscriptionFilter& request, const SubscriptionFilter& g) {
  auto narrowed = request.within(g);
  REQUIRE(std::holds_alternative<std::string>(narrowed));
  return std::get<std::string>(narrowed);
}
SubscriptionFilter narrowed(const SubscriptionFilter& request, const SubscriptionFilter& g) {
  auto n = request.within(g);
  REQUIRE(std::holds_alternative<SubscriptionFilter>(n));
  return std::get<SubscriptionFilter>(n);
}
}  // namespace

TEST_CASE("a request that names nothing takes its grant: types, workers and regions") {
  const auto g = grant({"worker.status.updated", "lab.*"}, {"w-1", "w-2"}, {"eu-west-1"});
  const auto f = narrowed(filter({}), g);
  CHECK(f.matches("worker.status.updated", "w-1", "eu-west-1"));
  CHECK(f.matches("lab.progress", "w-2", "eu-west-1"));
  CHECK_FALSE(f.matches("worker.metrics.updated", "w-1", "eu-west-1"));  // type outside
  CHECK_FALSE(f.matches("worker.status.updated", "w-3", "eu-west-1"));   // worker outside
  CHECK_FALSE(f.matches("worker.status.updated", "w-1", "us-east-1"));   // region outside
  // Under a region restriction an event without a region (a generic one) is not shown.
  CHECK_FALSE(f.matches("lab.progress", "w-1", ""));
  CHECK_FALSE(f.matches_everything());
}

TEST_CASE("a request inside its grant is narrowed to what it asked; one outside is refused") {
  const auto g = grant({"worker.status.updated", "worker.metrics.*"}, {"w-1", "w-2"});
  const auto f = narrowed(filter({"worker.metrics.updated"}, {"w-2"}), g);
  CHECK(f.matches("worker.metrics.updated", "w-2"));
  CHECK_FALSE(f.matches("worker.status.updated", "w-2"));
  CHECK_FALSE(f.matches("worker.metrics.updated", "w-1"));
  // A narrower pattern inside a granted one is fine; a wider one is not.
  CHECK(narrowed(filter({"worker.metrics.*"}), g).matches("worker.metrics.updated", "w-1"));
  CHECK(refusal(filter({"worker.*"}), g) == "the token does not allow all of 'worker.*'");
  CHECK(refusal(filter({"worker.created"}), g) == "the token does not allow type 'worker.created'");
  CHECK(refusal(filter({}, {"w-3"}), g) == "the token does not allow worker 'w-3'");
  // "*" asks for nothing in particular: the grant applies.
  CHECK_FALSE(narrowed(filter({"*"}), g).matches("worker.created", "w-1"));
}

TEST_CASE("an open grant leaves a request as it is") {
  const auto g = grant({});
  CHECK(g.matches_everything());
  const auto f = narrowed(filter({"a.*"}, {"k"}), g);
  CHECK(f.matches("a.b", "k"));
  CHECK_FALSE(f.matches("a.b", "j"));
}

TEST_CASE("a grant's canonical text is the same for the same grant in any order, else not") {
  CHECK(grant({"a", "b.*"}, {"x", "y"}, {"r"}).canonical() ==
        grant({"b.*", "a"}, {"y", "x"}, {"r"}).canonical());
  CHECK(grant({"a"}, {"x"}).canonical() != grant({"a"}, {}, {"x"}).canonical());
  CHECK(grant({"a"}, {"bc"}).canonical() != grant({"a"}, {"b", "c"}).canonical());
  CHECK(std::holds_alternative<std::string>(SubscriptionFilter::grant({"no*good"}, {}, {})));
}

TEST_CASE("the read model's rows: by worker id and region") {
  const auto g = grant({}, {"w-1", "w-2"}, {"eu-west-1"});
  CHECK(g.allows_worker("w-1", "eu-west-1"));
  CHECK_FALSE(g.allows_worker("w-1", "us-east-1"));
  CHECK_FALSE(g.allows_worker("w-3", "eu-west-1"));
  CHECK(g.allows_worker_id("w-2"));
  CHECK_FALSE(g.allows_worker_id("w-3"));
}
