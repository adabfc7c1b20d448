#include "service/worker_ingest.hpp"

#include <cstdio>

#include <doctest/doctest.h>
#include <boost/asio/io_context.hpp>

#include "service/replay_decision.hpp"

using namespace relay;
using namespace relay::service;

namespace {
struct StepClock final : Clock {
  mutable std::uint64_t ms = 1'800'000'000'000;
  [[nodiscard]] std::uint64_t now_unix_ms() const override { return ms; }
};

struct Fixture {
  boost::asio::io_context io{1};
  StepClock clock;
  std::FILE* sink = std::fopen("/dev/null", "w");
  Logger logger{sink, LogLevel::error};
  Tracer tracer{clock, Sampler{}, nullptr};
  SseEventRelay relay{io.get_executor(), RelayConfig{}, clock, logger, tracer};
  WorkerIngest ingest{relay, 100};
  ~Fixture() { std::fclose(sink); }
};

proto::IngestItem item(std::string id, domain::DomainEvent event) {
  return {"/src", std::move(id), "", std::move(event)};
}
domain::WorkerCreated created(std::string id) {
  return {std::move(id), "n", "r", "t", domain::WorkerStatus::pending, 1000};
}
}  // namespace

TEST_CASE("a batch is stored whole and broadcast in order, silent events included") {
  Fixture fx;
  CHECK(fx.ingest.last_event_id() == domain::EventId{0, 0});
  auto r = fx.ingest.ingest(
      {item("a", created("w-1")),
       item("b", domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::pending, 2}),
       item("c", domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::running, 3})},
      SpanParent{
          proto::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), ""});
  REQUIRE(std::holds_alternative<std::vector<domain::EventId>>(r));
  const auto ids = std::get<std::vector<domain::EventId>>(r);
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] < ids[1]);
  CHECK(ids[1] < ids[2]);
  CHECK(fx.relay.stats().events_published == 2);  // the repeated status is silent
  CHECK(fx.relay.stats().events_silent == 1);
  CHECK(fx.relay.log().size() == 3);
  CHECK(fx.ingest.last_event_id() == ids[2]);
  CHECK(fx.relay.log().at(0).frame->find(
            "\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-") != std::string::npos);
  // Resuming from the silent event's id replays exactly what followed it.
  auto decision = decide_replay(ids[1].to_string(), fx.relay.log());
  CHECK(decision.kind == ReplayDecision::Kind::replay);
  CHECK(decision.from == 2);
  // And "0-0" (a snapshot taken before anything happened) replays everything.
  CHECK(decide_replay("0-0", fx.relay.log()).from == 0);
}

TEST_CASE("one rejected item stores nothing of the batch") {
  Fixture fx;
  auto r = fx.ingest.ingest({item("a", created("w-1")), item("b", created("w-2")),
                             item("c", domain::WorkerTerminated{"w-3", "x", 5})},
                            {});
  REQUIRE(std::holds_alternative<IngestRejection>(r));
  const auto& why = std::get<IngestRejection>(r);
  CHECK(why.status == 409);
  CHECK(why.code == "unknown_worker");
  CHECK(why.index == 2);
  CHECK(fx.relay.log().empty());
  CHECK(fx.ingest.registry().workers().empty());
}

TEST_CASE("a repeated (source, id) answers with the original id and is stored once") {
  Fixture fx;
  auto first =
      std::get<std::vector<domain::EventId>>(fx.ingest.ingest({item("a", created("w-1"))}));
  // A retry mixed with a new event, and a duplicate inside the batch.
  auto retry = fx.ingest.ingest(
      {item("a", created("w-1")), item("b", created("w-2")), item("b", created("w-2"))});
  REQUIRE(std::holds_alternative<std::vector<domain::EventId>>(retry));
  const auto ids = std::get<std::vector<domain::EventId>>(retry);
  CHECK(ids[0] == first[0]);
  CHECK(ids[2] == ids[1]);
  CHECK(fx.relay.log().size() == 2);
  CHECK(fx.ingest.registry().workers().size() == 2);
  // Another source may use the same id.
  auto other = fx.ingest.ingest({proto::IngestItem{"/other", "a", "", created("w-3")}});
  CHECK(std::holds_alternative<std::vector<domain::EventId>>(other));
  CHECK(fx.relay.log().size() == 3);
}

TEST_CASE("the idempotency window is bounded") {
  Fixture fx;
  WorkerIngest small(fx.relay, 2);
  small.ingest({item("a", created("w-1"))});
  small.ingest({item("b", created("w-2"))});
  small.ingest({item("c", created("w-3"))});
  // "a" fell out of the window: now it is a new event, and a duplicate create.
  auto r = small.ingest({item("a", created("w-1"))});
  REQUIRE(std::holds_alternative<IngestRejection>(r));
  CHECK(std::get<IngestRejection>(r).code == "duplicate_worker");
}
