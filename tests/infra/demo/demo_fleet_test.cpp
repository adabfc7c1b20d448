#include "infra/demo/demo_fleet.hpp"

#include <thread>

#include <doctest/doctest.h>

#include "../../support/relay_fixture.hpp"
#include "../../support/test_clients.hpp"
#include "../../support/test_server.hpp"

using namespace relay::test;


TEST_CASE(
    "the demo fleet posts through the process's routes (counted in /metrics) at the clock's time") {
  auto config = TestServer::default_config();
  config.demo = true;
  FixedClock clock;
  TestServer server(config, &clock);
  // Its first step runs at start: six workers created in one batch.
  std::string workers;
  for (int i = 0; i < 50 && !has(workers, "worker-006"); ++i) {
    workers = http_request(server.port(), http::verb::get, "/api/workers").body;
    if (!has(workers, "worker-006")) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(has(workers, "worker-006"));
  // The injected clock's time, not the wall clock's.
  CHECK(json_at(workers, "/workers/0/created_at") == R"("2027-01-15T08:00:00.000Z")");
  CHECK(json_at(workers, "/workers/5/created_at") == R"("2027-01-15T08:00:00.000Z")");
  const auto metrics = http_request(server.port(), http::verb::get, "/metrics").body;
  CHECK(has(metrics, R"(sse_relay_ingest_requests_total{code="202",route="/api/domain-events"})"));
  CHECK(has(metrics, R"(sse_relay_events_ingested_total{type="CMLWorkerCreatedDomainEvent"} 6)"));
}
