#include "proto/projection_snapshot.hpp"

#include <doctest/doctest.h>

#include <string>
#include <variant>

using namespace relay;
using relay::proto::decode_snapshot;
using relay::proto::encode_snapshot;
using relay::proto::ProjectionSnapshot;

namespace {

ProjectionSnapshot sample() {
  ProjectionSnapshot s;
  s.last_id = {1'700'000'000'123, 7};
  s.log_ms = 1'700'000'000'123;
  domain::Worker running;
  running.worker_id = "lab/α \"quoted\"\n";
  running.name = "n";
  running.region = "eu-west-1";
  running.instance_type = "m5.xlarge";
  running.status = domain::WorkerStatus::running;
  running.created_at_ms = 1000;
  running.updated_at_ms = 2000;
  running.metrics = domain::WorkerMetrics{0.1 + 0.2, 99.99999999999999, 3, 1500};
  running.labs = {{"lab-1", "Intro", "STARTED", 4}, {"lab-2", "", "", 0}};
  running.labs_synchronized_at_ms = 1800;
  running.version = 5;
  domain::Worker gone;
  gone.worker_id = "w-2";
  gone.status = domain::WorkerStatus::terminated;
  gone.terminated_at_ms = 2500;
  gone.terminated_logged_ms = 1'700'000'000'000;
  s.workers = {running, gone};
  auto frame = [](const char* text) { return std::make_shared<const std::string>(text); };
  s.frames = {{{1'700'000'000'100, 0}, "worker.created", "", "w-2",
               frame("id: x\ndata: {\"a\":1}\n\n"), "eu-west-1"},
              {{1'700'000'000'101, 0}, "", "", "", frame(""), ""},
              {{1'700'000'000'123, 7}, "worker.metrics.updated", "k\n1", "w", frame("é"), ""}};
  return s;
}

bool same_worker(const domain::Worker& a, const domain::Worker& b) {
  auto metrics_equal = [](const auto& x, const auto& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->cpu_percent == y->cpu_percent && x->memory_percent == y->memory_percent &&
                  x->labs_count == y->labs_count && x->collected_at_ms == y->collected_at_ms);
  };
  return a.worker_id == b.worker_id && a.name == b.name && a.region == b.region &&
         a.instance_type == b.instance_type && a.status == b.status &&
         a.created_at_ms == b.created_at_ms && a.updated_at_ms == b.updated_at_ms &&
         a.terminated_at_ms == b.terminated_at_ms && metrics_equal(a.metrics, b.metrics) &&
         a.labs == b.labs && a.labs_synchronized_at_ms == b.labs_synchronized_at_ms &&
         a.version == b.version && a.terminated_logged_ms == b.terminated_logged_ms;
}

}  // namespace

TEST_CASE("a snapshot reads back exactly: workers (doubles to the bit), log time, frames") {
  const auto original = sample();
  auto decoded = decode_snapshot(encode_snapshot(original));
  REQUIRE(std::holds_alternative<ProjectionSnapshot>(decoded));
  const auto& back = std::get<ProjectionSnapshot>(decoded);
  CHECK(back.last_id == original.last_id);
  CHECK(back.log_ms == original.log_ms);
  REQUIRE(back.workers.size() == 2);
  CHECK(same_worker(back.workers[0], original.workers[0]));
  CHECK(same_worker(back.workers[1], original.workers[1]));
  CHECK(back.frames == original.frames);
}

TEST_CASE("an empty projection is a snapshot too") {
  auto decoded = decode_snapshot(encode_snapshot({}));
  REQUIRE(std::holds_alternative<ProjectionSnapshot>(decoded));
  CHECK(std::get<ProjectionSnapshot>(decoded).workers.empty());
}

TEST_CASE("anything but a whole snapshot of this version is refused with the reason") {
  auto refused = [](std::string_view text) {
    auto decoded = decode_snapshot(text);
    REQUIRE(std::holds_alternative<std::string>(decoded));
    return std::get<std::string>(decoded);
  };
  CHECK(refused("{").find("not valid JSON") != std::string::npos);
  CHECK(refused("[]") == "snapshot is not a JSON object");
  CHECK(refused(R"({"v":2,"last_id":"1-0","log_ms":0,"workers":[],"frames":[]})") ==
        "snapshot version 2 is not 1");
  CHECK(refused(R"({"v":1,"last_id":"x","log_ms":0,"workers":[],"frames":[]})") ==
        "snapshot: \"last_id\" is not an event id");
  CHECK(refused(R"({"v":1,"last_id":"1-0","log_ms":0,"frames":[]})") ==
        "snapshot: \"workers\" is not an array");
  auto text = encode_snapshot(sample());
  const auto status = text.find("\"running\"");
  text.replace(status, 9, "\"runnin\"");
  CHECK(refused(text).find("unknown status \"runnin\"") != std::string::npos);
  CHECK(refused(R"({"v":1,"last_id":"1-0","log_ms":0,"workers":[],"frames":[["1-0","","",""]]})") ==
        "snapshot: a frame is not an array of 5 or 6 strings");
}

TEST_CASE("a snapshot written before frames carried a region still reads: its frames have none") {
  auto decoded = decode_snapshot(
      R"({"v":1,"last_id":"1-0","log_ms":0,"workers":[],"frames":[["1-0","t","","w","f"]]})");
  REQUIRE(std::holds_alternative<ProjectionSnapshot>(decoded));
  const auto& frames = std::get<ProjectionSnapshot>(decoded).frames;
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].worker_id == "w");
  CHECK(frames[0].region.empty());
}
