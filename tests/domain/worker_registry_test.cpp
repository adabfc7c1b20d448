#include "domain/worker_registry.hpp"

#include <doctest/doctest.h>

using namespace relay::domain;

namespace {
WorkerCreated created(std::string id, WorkerStatus status = WorkerStatus::pending) {
  return {std::move(id), "Worker", "eu-west-1", "m5.xlarge", status, 1000};
}
WorkerTelemetryUpdated telemetry(std::string id, std::uint64_t at, double cpu = 10) {
  return {std::move(id), {cpu, 20, 1, at}};
}
}  // namespace

TEST_CASE("created: a new aggregate and a worker.created notice with every field") {
  WorkerRegistry r;
  REQUIRE_FALSE(r.check(created("w-1")));
  auto notice = r.apply(created("w-1"));
  REQUIRE(notice);
  CHECK(sse_type_of(*notice) == "worker.created");
  const auto& w = std::get<WorkerCreatedNotice>(*notice).worker;
  CHECK(w.worker_id == "w-1");
  CHECK(w.name == "Worker");
  CHECK(w.region == "eu-west-1");
  CHECK(w.instance_type == "m5.xlarge");
  CHECK(w.status == WorkerStatus::pending);
  CHECK(w.created_at_ms == 1000);
  CHECK(w.version == 1);
  CHECK(r.find("w-1") != nullptr);
}

TEST_CASE("unknown worker, second create, creating terminated are rejected") {
  WorkerRegistry r;
  auto unknown = r.check(WorkerStatusUpdated{"w-9", WorkerStatus::running, 1});
  REQUIRE(unknown);
  CHECK(unknown->code == RefusalCode::unknown_worker);
  CHECK(r.check(telemetry("w-9", 1))->code == RefusalCode::unknown_worker);
  r.apply(created("w-1"));
  auto dup = r.check(created("w-1"));
  REQUIRE(dup);
  CHECK(dup->code == RefusalCode::duplicate_worker);
  auto dead = r.check(created("w-2", WorkerStatus::terminated));
  REQUIRE(dead);
  CHECK(dead->code == RefusalCode::invalid_transition);
}

TEST_CASE("status updates carry previous_status; the same status changes nothing") {
  WorkerRegistry r;
  r.apply(created("w-1"));
  auto notice = r.apply(WorkerStatusUpdated{"w-1", WorkerStatus::running, 2000});
  REQUIRE(notice);
  const auto& s = std::get<WorkerStatusNotice>(*notice);
  CHECK(s.status == WorkerStatus::running);
  CHECK(s.previous_status == WorkerStatus::pending);
  CHECK(s.stamp.updated_at_ms == 2000);
  CHECK(s.stamp.version == 2);
  CHECK(r.find("w-1")->version == 2);
  CHECK_FALSE(r.check(WorkerStatusUpdated{"w-1", WorkerStatus::running, 3000}));
  CHECK_FALSE(r.apply(WorkerStatusUpdated{"w-1", WorkerStatus::running, 3000}));
  CHECK(r.find("w-1")->version == 2);
}

TEST_CASE("invalid transitions are rejected with 422") {
  WorkerRegistry r;
  r.apply(created("w-1", WorkerStatus::running));
  auto back = r.check(WorkerStatusUpdated{"w-1", WorkerStatus::pending, 2});
  REQUIRE(back);
  CHECK(back->code == RefusalCode::invalid_transition);
  CHECK(transition_allowed(WorkerStatus::stopped, WorkerStatus::pending));
  CHECK(transition_allowed(WorkerStatus::running, WorkerStatus::terminated));
  CHECK_FALSE(transition_allowed(WorkerStatus::stopping, WorkerStatus::running));
  CHECK_FALSE(transition_allowed(WorkerStatus::terminated, WorkerStatus::running));
  CHECK(parse_worker_status("shutting-down") == WorkerStatus::stopping);
  CHECK_FALSE(parse_worker_status("exploded"));
}

TEST_CASE("telemetry older than the one held is ignored as stale") {
  WorkerRegistry r;
  r.apply(created("w-1"));
  auto fresh = r.apply(telemetry("w-1", 5000, 50));
  REQUIRE(fresh);
  CHECK(std::get<WorkerMetricsNotice>(*fresh).metrics.cpu_percent == 50);
  CHECK_FALSE(r.check(telemetry("w-1", 4000)));      // accepted...
  CHECK_FALSE(r.apply(telemetry("w-1", 4000, 99)));  // ...but ignored
  CHECK_FALSE(r.apply(telemetry("w-1", 5000, 99)));
  CHECK(r.find("w-1")->metrics->cpu_percent == 50);
  CHECK(r.apply(telemetry("w-1", 6000, 70)));
}

TEST_CASE("labs replace the list; termination is final") {
  WorkerRegistry r;
  r.apply(created("w-1"));
  auto labs = r.apply(WorkerLabsUpdated{"w-1", {{"l1", "OSPF", "STARTED", 4}}, 3000});
  REQUIRE(labs);
  CHECK(std::get<WorkerLabsNotice>(*labs).labs.size() == 1);
  CHECK(r.find("w-1")->labs[0].title == "OSPF");
  auto ended = r.apply(WorkerTerminated{"w-1", "scale-in", 4000});
  REQUIRE(ended);
  CHECK(std::get<WorkerTerminatedNotice>(*ended).reason == "scale-in");
  CHECK(r.find("w-1")->status == WorkerStatus::terminated);
  CHECK(r.find("w-1")->terminated_at_ms == 4000);
  for (const DomainEvent& after : std::vector<DomainEvent>{
           telemetry("w-1", 9000), WorkerStatusUpdated{"w-1", WorkerStatus::running, 9000},
           WorkerTerminated{"w-1", "again", 9000}, WorkerLabsUpdated{"w-1", {}, 9000}}) {
    auto rejected = r.check(after);
    REQUIRE(rejected);
    CHECK(rejected->code == RefusalCode::worker_terminated);
  }
}

TEST_CASE("a batch is checked in order against the state the earlier events leave") {
  WorkerRegistry r;
  std::vector<DomainEvent> ok{created("w-1"), WorkerStatusUpdated{"w-1", WorkerStatus::running, 2},
                              telemetry("w-1", 3)};
  CHECK_FALSE(r.check_batch(ok, 0));
  CHECK(r.workers().empty());  // checking changes nothing
  std::vector<DomainEvent> bad{created("w-1"), WorkerTerminated{"w-1", "x", 2},
                               telemetry("w-1", 3)};
  auto rejected = r.check_batch(bad, 0);
  REQUIRE(rejected);
  CHECK(rejected->first == 2);
  CHECK(rejected->second.code == RefusalCode::worker_terminated);
}

TEST_CASE("RELAY_MAX_WORKERS: a create beyond the maximum is refused, alone and in a batch") {
  WorkerRegistry r({2, 1000});
  r.apply(created("w-1"));
  r.apply(created("w-2"));
  const auto full = r.check(created("w-3"));
  REQUIRE(full);
  CHECK(full->code == RefusalCode::too_many_workers);
  CHECK(full->reason.find("RELAY_MAX_WORKERS") != std::string::npos);
  CHECK_FALSE(r.check(telemetry("w-1", 5)));  // events about held workers still fold
  WorkerRegistry one({1, 1000});
  const std::vector<DomainEvent> batch{created("a"), telemetry("a", 5), created("b")};
  const auto refused = one.check_batch(batch, 0);
  REQUIRE(refused);
  CHECK(refused->first == 2);
  CHECK(refused->second.code == RefusalCode::too_many_workers);
}

TEST_CASE("a terminated worker is forgotten after the retention, in log time, and its place "
          "and id are free again") {
  WorkerRegistry r({2, 1000});
  r.advance(10'000);
  r.apply(created("w-1"));
  r.apply(created("w-2"));
  r.advance(10'500);
  r.apply(WorkerTerminated{"w-1", "done", 2000});
  r.advance(11'499);  // 999 ms after the termination was folded: still held
  CHECK(r.find("w-1") != nullptr);
  CHECK(r.check(created("w-3"))->code == RefusalCode::too_many_workers);
  // The pre-check looks at the time the fold will see: at 11,500 w-1 is gone.
  const std::vector<DomainEvent> recreate{created("w-1"), created("w-3")};
  CHECK(r.check_batch(recreate, 11'499)->second.code == RefusalCode::duplicate_worker);
  const auto later = r.check_batch(recreate, 11'500);
  REQUIRE(later);
  CHECK(later->first == 1);  // w-1 fits in the freed place; w-3 does not
  CHECK(later->second.code == RefusalCode::too_many_workers);
  r.advance(11'500);
  CHECK(r.find("w-1") == nullptr);
  CHECK(r.workers().size() == 1);
  CHECK_FALSE(r.check(created("w-1")));
  // A status update to terminated starts the retention too.
  r.apply(created("w-1"));
  r.apply(WorkerStatusUpdated{"w-2", WorkerStatus::terminated, 3000});
  r.advance(12'499);
  CHECK(r.find("w-2") != nullptr);
  r.advance(12'500);
  CHECK(r.find("w-2") == nullptr);
  CHECK(r.find("w-1") != nullptr);  // live workers are never forgotten
}

TEST_CASE("restored workers are the aggregates they were, retention and limits included") {
  WorkerRegistry original({3, 1000});
  original.advance(10'000);
  original.apply(created("w-1"));
  original.apply(created("w-2"));
  original.advance(10'200);
  original.apply(WorkerTerminated{"w-2", "done", 2000});
  original.advance(10'400);
  original.apply(created("w-3"));
  original.apply(WorkerTerminated{"w-3", "done", 2100});

  std::vector<Worker> saved;
  for (const auto& [id, w] : original.workers()) saved.push_back(w);
  WorkerRegistry restored({3, 1000});
  restored.apply(created("stale"));  // what was there before is forgotten
  restored.restore(saved, original.now_ms());
  CHECK(restored.now_ms() == 10'400);
  CHECK(restored.find("stale") == nullptr);
  REQUIRE(restored.workers().size() == 3);
  CHECK(restored.find("w-3")->status == WorkerStatus::terminated);
  // Full, as the original is; and each terminated worker goes when it would have.
  CHECK(restored.check(created("w-4"))->code == RefusalCode::too_many_workers);
  restored.advance(11'199);
  CHECK(restored.find("w-2") != nullptr);
  restored.advance(11'200);
  CHECK(restored.find("w-2") == nullptr);
  CHECK(restored.find("w-3") != nullptr);
  restored.advance(11'400);
  CHECK(restored.find("w-3") == nullptr);
  CHECK(restored.find("w-1") != nullptr);
}
