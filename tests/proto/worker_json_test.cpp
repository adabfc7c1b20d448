#include "proto/worker_json.hpp"

#include <doctest/doctest.h>

using namespace relay::domain;
using namespace relay::proto;

TEST_CASE("payloads: the contract fields, then the aggregate's updated_at and version") {
  Worker w{"w-1", "Worker 1", "eu", "m5", WorkerStatus::pending, 1767225600000, 1767225600000, {},
           {},    {},         0,    1};
  auto created = encode_worker_notice(WorkerCreatedNotice{w});
  CHECK(created.type == "worker.created");
  CHECK(created.subject == "worker/w-1");
  CHECK(created.worker_id == "w-1");
  CHECK(created.conflation_key.empty());
  CHECK(
      created.data_json ==
      R"({"worker_id":"w-1","name":"Worker 1","region":"eu","instance_type":"m5","status":"pending","created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z","version":1})");
  auto status = encode_worker_notice(
      WorkerStatusNotice{"w-1", WorkerStatus::running, WorkerStatus::pending, {2, 1767225601000}});
  CHECK(
      status.data_json ==
      R"({"worker_id":"w-1","status":"running","previous_status":"pending","updated_at":"2026-01-01T00:00:01.000Z","version":2})");
  auto metrics = encode_worker_notice(WorkerMetricsNotice{"w-1", {12.5, 40, 2, 1767225602000}, {3, 1767225602000}});
  CHECK(metrics.type == "worker.metrics.updated");
  CHECK(metrics.conflation_key == "w-1");
  CHECK(
      metrics.data_json ==
      R"({"worker_id":"w-1","cpu_percent":12.5,"memory_percent":40,"labs_count":2,"collected_at":"2026-01-01T00:00:02.000Z","updated_at":"2026-01-01T00:00:02.000Z","version":3})");
  auto labs =
      encode_worker_notice(WorkerLabsNotice{"w-1", {{"l1", "OSPF", "STARTED", 4}}, 1767225603000, {4, 1767225603000}});
  CHECK(
      labs.data_json ==
      R"({"worker_id":"w-1","labs":[{"lab_id":"l1","title":"OSPF","state":"STARTED","node_count":4}],"synchronized_at":"2026-01-01T00:00:03.000Z","updated_at":"2026-01-01T00:00:03.000Z","version":4})");
  auto ended = encode_worker_notice(WorkerTerminatedNotice{"w-1", "idle", 1767225604000, {5, 1767225604000}});
  CHECK(ended.data_json ==
        R"({"worker_id":"w-1","reason":"idle","terminated_at":"2026-01-01T00:00:04.000Z","updated_at":"2026-01-01T00:00:04.000Z","version":5})");
  w.metrics = WorkerMetrics{1, 2, 3, 1767225602000};
  w.terminated_at_ms = 1767225604000;
  w.status = WorkerStatus::terminated;
  CHECK(
      encode_worker(w) ==
      R"({"worker_id":"w-1","name":"Worker 1","region":"eu","instance_type":"m5","status":"terminated","created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z","terminated_at":"2026-01-01T00:00:04.000Z","metrics":{"cpu_percent":1,"memory_percent":2,"labs_count":3,"collected_at":"2026-01-01T00:00:02.000Z"},"labs":[],"version":1})");
}
