#include "infra/stats_report.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include "../support/relay_fixture.hpp"

using namespace relay;
using relay::test::RecordingSink;
using relay::test::RelayFixture;

namespace {
struct NoLog final : service::EventLog {
  boost::asio::awaitable<service::AppendResult> append(std::vector<service::LogRecord>) override {
    co_return service::AppendResult{};
  }
  boost::asio::awaitable<service::LookupResult> lookup(const std::vector<std::string>&) override {
    co_return service::LookupResult{};
  }
  void tail(domain::EventId, service::EventTailer&) override {}
  boost::asio::awaitable<std::vector<service::StoredEvent>> read(domain::EventId,
                                                                 std::size_t) override {
    co_return std::vector<service::StoredEvent>{};
  }
  [[nodiscard]] service::LogHealth health() const override { return {}; }
};
}  // namespace

TEST_CASE("stats: counters, every eviction reason, the log and per-type counts, as JSON") {
  RelayFixture fx;
  NoLog log;
  service::EventIngest ingest(log, *fx.projection, fx.relay->stopping());
  RecordingSink sink;
  fx.subscribe(sink);
  fx.publish("a.one");
  fx.publish("a.one");
  fx.publish("b.two");
  fx.fold(domain::WorkerStatusUpdated{"ghost", domain::WorkerStatus::running, 1});
  fx.io.run_for(std::chrono::milliseconds(20));
  simdjson::dom::parser parser;
  auto doc = parser.parse(infra::stats_json(*fx.relay, ingest));
  CHECK(std::string_view(doc["instance_id"].get_string().value()) == "test");
  CHECK(doc["clients"].get_uint64().value() == 1);
  CHECK(doc["events_published"].get_uint64().value() == 0);  // appended by this ingest: none
  CHECK(doc["events_broadcast"].get_uint64().value() == 3);
  CHECK(doc["events_silent"].get_uint64().value() == 1);
  CHECK(doc["fold_rejected"].get_uint64().value() == 1);
  CHECK(doc["deliveries"].get_uint64().value() == 3);
  for (auto reason : service::all_eviction_reasons) {
    CHECK(doc["evictions"][service::to_string(reason)].get_uint64().value() == 0);
  }
  CHECK(doc["evictions"]["total"].get_uint64().value() == 0);
  CHECK(doc["log"]["size"].get_uint64().value() == 4);
  CHECK(doc["log"]["capacity"].get_uint64().value() == 8);
  CHECK(doc["per_type"]["a.one"]["published"].get_uint64().value() == 2);
  CHECK(doc["per_type"]["b.two"]["published"].get_uint64().value() == 1);
  CHECK_FALSE(doc["draining"].get_bool().value());
}
