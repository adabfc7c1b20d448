#include "proto/cloudevents.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "proto/worker_json.hpp"

using namespace relay::proto;
using namespace relay::domain;

namespace {
std::string event(std::string type, std::string data, std::string id = "e1") {
  return fmt::format(R"({{"specversion":"1.0","id":"{}","source":"/test","type":"{}","data":{}}})",
                     id, type, data);
}
const std::string created_data =
    R"({"worker_id":"w-1","name":"n","region":"r","instance_type":"t","status":"pending","created_at":"2026-01-01T00:00:00Z"})";

IngestError error_of(const std::string& body, BodyShape shape = BodyShape::either) {
  auto r = parse_cloudevents(body, shape, 100);
  REQUIRE(std::holds_alternative<IngestError>(r));
  return std::get<IngestError>(r);
}
}  // namespace

TEST_CASE("every domain event type, long and short, parses into its event") {
  auto one = std::get<ParsedEvents>(
      parse_cloudevents(event("CMLWorkerCreatedDomainEvent", created_data), BodyShape::single, 10));
  CHECK_FALSE(one.batch);
  REQUIRE(one.items.size() == 1);
  CHECK(one.items[0].source == "/test");
  CHECK(one.items[0].id == "e1");
  const auto& c = std::get<WorkerCreated>(one.items[0].event);
  CHECK(c.worker_id == "w-1");
  CHECK(c.created_at_ms == 1767225600000);

  const std::string batch =
      "[" +
      event("worker.status.updated",
            R"({"worker_id":"w-1","status":"shutting-down","updated_at":"2026-01-01T00:00:01Z"})",
            "a") +
      "," +
      event(
          "CMLWorkerTelemetryUpdatedDomainEvent",
          R"({"worker_id":"w-1","cpu_percent":12.5,"memory_percent":0,"labs_count":3,"collected_at":"2026-01-01T00:00:02Z"})",
          "b") +
      "," +
      event(
          "worker.labs.updated",
          R"({"worker_id":"w-1","labs":[{"lab_id":"l","title":"T","state":"STARTED","node_count":2}],"synchronized_at":"2026-01-01T00:00:03Z"})",
          "c") +
      "," +
      event("CMLWorkerTerminatedDomainEvent",
            R"({"worker_id":"w-1","reason":"idle","terminated_at":"2026-01-01T00:00:04Z"})", "d") +
      "]";
  auto many = std::get<ParsedEvents>(parse_cloudevents(batch, BodyShape::batch, 10));
  CHECK(many.batch);
  REQUIRE(many.items.size() == 4);
  CHECK(std::get<WorkerStatusUpdated>(many.items[0].event).status == WorkerStatus::stopping);
  CHECK(std::get<WorkerTelemetryUpdated>(many.items[1].event).metrics.cpu_percent == 12.5);
  CHECK(std::get<WorkerLabsUpdated>(many.items[2].event).labs[0].node_count == 2);
  CHECK(std::get<WorkerTerminated>(many.items[3].event).reason == "idle");
}

TEST_CASE("each bad input names the field with its JSON pointer") {
  CHECK(error_of("{oops").invalid_json);
  CHECK(error_of(R"({"specversion":"0.3","id":"1","source":"s","type":"worker.created","data":{}})")
            .pointer == "/specversion");
  CHECK(error_of(event("worker.exploded", "{}")).pointer == "/type");
  CHECK(error_of(event("worker.created", "7")).pointer == "/data");
  CHECK(error_of(event("worker.created", R"({"worker_id":"w"})")).pointer == "/data/name");
  CHECK(error_of(event("worker.created", R"({"worker_id":5})")).pointer == "/data/worker_id");
  CHECK(
      error_of(event("worker.status.updated",
                     R"({"worker_id":"w","status":"melted","updated_at":"2026-01-01T00:00:00Z"})"))
          .pointer == "/data/status");
  CHECK(error_of(event("worker.status.updated",
                       R"({"worker_id":"w","status":"running","updated_at":"yesterday"})"))
            .pointer == "/data/updated_at");
  CHECK(
      error_of(
          event(
              "worker.telemetry.updated",
              R"({"worker_id":"w","cpu_percent":101,"memory_percent":1,"labs_count":1,"collected_at":"2026-01-01T00:00:00Z"})"))
          .pointer == "/data/cpu_percent");
  CHECK(
      error_of(
          event(
              "worker.telemetry.updated",
              R"({"worker_id":"w","cpu_percent":1,"memory_percent":1,"labs_count":1.5,"collected_at":"2026-01-01T00:00:00Z"})"))
          .pointer == "/data/labs_count");
  CHECK(
      error_of(
          event(
              "worker.labs.updated",
              R"({"worker_id":"w","labs":[{"lab_id":"l","title":"t","state":"s"}],"synchronized_at":"2026-01-01T00:00:00Z"})"))
          .pointer == "/data/labs/0/node_count");
  CHECK(error_of(event("worker.created", created_data), BodyShape::batch).detail.find("array") !=
        std::string::npos);
  CHECK(error_of("[" + event("worker.created", created_data) + "]", BodyShape::single)
            .detail.find("batch") != std::string::npos);
  CHECK(error_of("[]").detail == "the batch is empty");
}

TEST_CASE("one bad item in a batch of 50 fails the batch, naming its index and path") {
  std::string batch = "[";
  for (int i = 0; i < 50; ++i) {
    if (i) batch += ",";
    batch += i == 37 ? event("worker.created", R"({"worker_id":"w"})", "x37")
                     : event("worker.created", created_data, "e" + std::to_string(i));
  }
  batch += "]";
  auto e = error_of(batch);
  CHECK(e.index == 37);
  CHECK(e.pointer == "/37/data/name");
}
