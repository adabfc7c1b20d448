#include "infra/routes/stats_report.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include "../../support/idle_event_log.hpp"
#include "../../support/relay_fixture.hpp"

using namespace relay;
using relay::test::IdleEventLog;
using relay::test::RecordingSink;
using relay::test::RelayFixture;


TEST_CASE("stats: counters, every eviction reason, the log and per-type counts, as JSON") {
  RelayFixture fx;
  IdleEventLog log;
  service::EventIngest ingest(log, *fx.projection, fx.relay->stopping());
  RecordingSink sink;
  fx.subscribe(sink);
  fx.publish("a.one");
  fx.publish("a.one");
  fx.publish("b.two");
  fx.fold(domain::WorkerStatusUpdated{"ghost", domain::WorkerStatus::running, 1});
  fx.advance(std::chrono::milliseconds(20));
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
