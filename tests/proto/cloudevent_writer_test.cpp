#include "proto/cloudevent_writer.hpp"

#include <doctest/doctest.h>

using namespace relay::proto;
namespace domain = relay::domain;

namespace {
IngestItem read_back(const std::string& json) {
  auto parsed = parse_cloudevents(json, BodyShape::single, 1);
  REQUIRE(std::holds_alternative<ParsedEvents>(parsed));
  return std::get<ParsedEvents>(parsed).items.at(0);
}
}  // namespace

TEST_CASE("every domain event written as a CloudEvent parses back to the same item") {
  const std::vector<IngestItem> items{
      {"/fleet/\"eu\"", "e-1", "worker/w-1",
       domain::WorkerCreated{"w-1", "Caf\xc3\xa9 \"one\" \\", "eu-west-1", "m5.large",
                             domain::WorkerStatus::provisioning, 1796000000123}},
      {"/fleet", "e-2", "", domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::stopping, 1}},
      {"/fleet", "e-3", "",
       domain::WorkerTelemetryUpdated{"w-1", {12.345678901234567, 0.1, 7, 1796000000999}}},
      {"/fleet", "e-4", "",
       domain::WorkerLabsUpdated{"w-1", {{"l-1", "Lab \\ one", "STARTED", 3}, {"l-2", "x", "y", 0}},
                                 1796000000500}},
      {"/fleet", "e-5", "", domain::WorkerTerminated{"w-1", "spot reclaimed", 1796000001000}},
  };
  for (const auto& item : items) {
    const auto json = write_cloudevent(item);
    const auto back = read_back(json);
    CHECK(back.id == item.id);
    CHECK(back.source == item.source);
    CHECK(back.subject == item.subject);
    CHECK(back.event.index() == item.event.index());
    CHECK(write_cloudevent(back) == json);  // the same fields, byte for byte
  }
  const auto telemetry = read_back(write_cloudevent(items[2]));
  CHECK(std::get<domain::WorkerTelemetryUpdated>(telemetry.event).metrics.cpu_percent ==
        12.345678901234567);
  const auto labs = read_back(write_cloudevent(items[3]));
  CHECK(std::get<domain::WorkerLabsUpdated>(labs.event).labs ==
        std::get<domain::WorkerLabsUpdated>(items[3].event).labs);
  CHECK(std::get<domain::WorkerCreated>(read_back(write_cloudevent(items[0])).event).name ==
        "Caf\xc3\xa9 \"one\" \\");
}
