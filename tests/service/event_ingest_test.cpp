#include "service/event_ingest.hpp"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "../support/relay_fixture.hpp"

using namespace relay;
using namespace relay::service;
using relay::test::RelayFixture;

namespace {

// An EventLog that mints ids like the embedded one, delivers to its tailer at once, and can
// be told to fail (a bus that is down) — the ingest's view of any log.
struct ScriptedLog final : EventLog {
  domain::EventIdGenerator ids;
  std::uint64_t ms = 1'800'000'000'000;
  std::map<std::string, domain::EventId> seen;
  EventTailer* tailer = nullptr;
  bool down = false;
  int appends = 0;
  int lookups = 0;
  int stale_lookups = 0;  ///< The next lookups answer "not seen", as one that ran too early.

  boost::asio::awaitable<AppendResult> append(std::vector<LogRecord> records) override {
    ++appends;
    AppendResult r;
    if (down) {
      r.error = make_error_code(relay::error::bus_unavailable);
      co_return r;
    }
    for (auto& record : records) {
      if (auto it = seen.find(record.dedupe_key); !record.dedupe_key.empty() && it != seen.end()) {
        r.ids.push_back(it->second);
        continue;
      }
      const auto id = ids.next(ms);
      if (!record.dedupe_key.empty()) seen.emplace(record.dedupe_key, id);
      r.ids.push_back(id);
      ++r.stored;
      if (tailer) tailer->on_event({id, std::move(record)});
    }
    co_return r;
  }
  boost::asio::awaitable<LookupResult> lookup(const std::vector<std::string>& keys) override {
    ++lookups;
    LookupResult out;
    if (down) {
      out.error = make_error_code(relay::error::bus_unavailable);
      co_return out;
    }
    if (stale_lookups > 0) {
      --stale_lookups;
      out.ids.resize(keys.size());
      co_return out;
    }
    for (const auto& k : keys) {
      auto it = seen.find(k);
      out.ids.push_back(it == seen.end() ? std::nullopt : std::optional{it->second});
    }
    co_return out;
  }
  void tail(domain::EventId, EventTailer& t) override { tailer = &t; }
  boost::asio::awaitable<std::vector<StoredEvent>> read(domain::EventId, std::size_t) override {
    co_return std::vector<StoredEvent>{};
  }
  [[nodiscard]] LogHealth health() const override { return {!down, down ? "down" : ""}; }
};

struct IngestFixture : RelayFixture {
  ScriptedLog log;
  std::unique_ptr<EventIngest> ingest;
  IngestFixture() {
    config.history = 100;
    build();
    log.tail({0, 0}, *projection);
    ingest = std::make_unique<EventIngest>(log, *projection, relay->stopping());
  }
  template <class T>
  T run(boost::asio::awaitable<T> op) {
    auto f = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
    io.restart();
    io.poll();
    return f.get();
  }
  auto ingest_items(std::vector<proto::IngestItem> items) {
    return run(ingest->ingest(std::move(items), {}));
  }
};

proto::IngestItem item(std::string id, domain::DomainEvent event) {
  return {"/src", std::move(id), "", std::move(event)};
}
domain::WorkerCreated created(std::string id) {
  return {std::move(id), "n", "r", "t", domain::WorkerStatus::pending, 1000};
}
using Ids = std::vector<domain::EventId>;

}  // namespace

TEST_CASE("a batch is appended whole, in order; the log's ids come back and the fold follows") {
  IngestFixture fx;
  auto r = fx.ingest_items(
      {item("1", created("w-1")),
       item("2", domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::running, 2}),
       item("3", domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::running, 3})});
  REQUIRE(std::holds_alternative<Ids>(r));
  const auto& ids = std::get<Ids>(r);
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] < ids[1]);
  CHECK(ids[1] < ids[2]);
  CHECK(fx.projection->last_event_id() == ids[2]);
  CHECK(fx.relay->frame_log().size() == 3);  // the repeated status holds a silent position
  CHECK(fx.relay->stats().events_silent == 1);
  CHECK(fx.ingest->appended() == 3);
}

TEST_CASE("the pre-check refuses early with the item and reason; nothing is appended") {
  IngestFixture fx;
  auto r = fx.ingest_items(
      {item("1", created("w-1")),
       item("2", domain::WorkerStatusUpdated{"w-2", domain::WorkerStatus::running, 2})});
  REQUIRE(std::holds_alternative<IngestRejection>(r));
  const auto& why = std::get<IngestRejection>(r);
  CHECK(why.reason == relay::error::unknown_worker);
  CHECK(why.index == 1);
  CHECK(why.detail.find("w-2") != std::string::npos);
  CHECK(fx.log.appends == 0);
  auto bad = fx.ingest_items(
      {item("1", created("w-1")),
       item("2", domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::terminated, 2}),
       item("3", domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::running, 3})});
  REQUIRE(std::holds_alternative<IngestRejection>(bad));
  CHECK(std::get<IngestRejection>(bad).reason == relay::error::worker_terminated);
  CHECK(std::get<IngestRejection>(bad).index == 2);
}

TEST_CASE("a repeated (source, id) answers with the original id and is appended once") {
  IngestFixture fx;
  auto first = fx.ingest_items({item("1", created("w-1"))});
  REQUIRE(std::holds_alternative<Ids>(first));
  // A retry of a create would fail the pre-check as a duplicate worker: it is a retry instead.
  auto again = fx.ingest_items({item("1", created("w-1")), item("1", created("w-1"))});
  REQUIRE(std::holds_alternative<Ids>(again));
  CHECK(std::get<Ids>(again) == Ids{std::get<Ids>(first)[0], std::get<Ids>(first)[0]});
  CHECK(fx.relay->frame_log().size() == 1);
  CHECK(fx.ingest->appended() == 1);
}

TEST_CASE("a log that does not answer: bus_unavailable, nothing folded") {
  IngestFixture fx;
  fx.log.down = true;
  auto r = fx.ingest_items({item("1", created("w-1"))});
  REQUIRE(std::holds_alternative<IngestRejection>(r));
  CHECK(std::get<IngestRejection>(r).reason == relay::error::bus_unavailable);
  CHECK(fx.relay->frame_log().empty());
  auto p = fx.run(fx.ingest->publish({"demo.x", "1", ""}, {}));
  REQUIRE(std::holds_alternative<IngestRejection>(p));
  CHECK(std::get<IngestRejection>(p).reason == relay::error::bus_unavailable);
}

TEST_CASE("while the relay drains, ingest and publish answer draining") {
  IngestFixture fx;
  bool stopped = false;
  fx.spawn_stop(stopped);
  fx.io.poll();
  auto r = fx.ingest_items({item("1", created("w-1"))});
  REQUIRE(std::holds_alternative<IngestRejection>(r));
  CHECK(std::get<IngestRejection>(r).reason == relay::error::draining);
  auto p = fx.run(fx.ingest->publish({"demo.x", "1", ""}, {}));
  CHECK(std::get<IngestRejection>(p).reason == relay::error::draining);
  CHECK(fx.log.appends == 0);
}

TEST_CASE("a generic publish is appended with its trace context and folded into a frame") {
  IngestFixture fx;
  auto p =
      fx.run(fx.ingest->publish({"lab.progress", R"({"p":1})", "lab-1"},
                                {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ""}));
  REQUIRE(std::holds_alternative<domain::EventId>(p));
  const auto& entry = fx.relay->frame_log().newest();
  CHECK(entry.id == std::get<domain::EventId>(p));
  CHECK(entry.worker_id == "lab-1");  // ?worker= follows a generic event's key
  CHECK(entry.frame->find("b7ad6b7169203331") != std::string::npos);
}

TEST_CASE("the same event posted to two replicas at once answers 202 with one id at both, not "
          "a conflict with itself") {
  IngestFixture fx;
  // The other replica's copy is appended and folded here between this request's lookup
  // (which saw nothing yet) and its pre-check (which sees the worker).
  const auto original = fx.run(fx.log.append({LogRecord{item("1", created("w-1")), "/src\x1f" "1", "", ""}}));
  REQUIRE(original.ids.size() == 1);
  fx.log.stale_lookups = 1;
  auto r = fx.ingest_items({item("1", created("w-1"))});
  REQUIRE(std::holds_alternative<Ids>(r));
  CHECK(std::get<Ids>(r) == Ids{original.ids[0]});
  CHECK(fx.projection->registry().workers().size() == 1);
  CHECK(fx.log.lookups == 2);  // the stale one, then the one that found it
}

TEST_CASE("a request the pre-check accepts costs no lookup; its retries still answer their "
          "original ids") {
  IngestFixture fx;
  auto first = fx.ingest_items({item("1", created("w-1")), item("2", created("w-2"))});
  REQUIRE(std::holds_alternative<Ids>(first));
  CHECK(fx.log.lookups == 0);
  // A retry of both plus a new one: created twice is refused by the pre-check, so the log
  // is asked, once; the retries answer with their ids and only the new one is stored.
  auto again = fx.ingest_items({item("1", created("w-1")), item("2", created("w-2")), item("3", created("w-3"))});
  REQUIRE(std::holds_alternative<Ids>(again));
  CHECK(fx.log.lookups == 1);
  const auto& ids = std::get<Ids>(again);
  CHECK(ids[0] == std::get<Ids>(first)[0]);
  CHECK(ids[1] == std::get<Ids>(first)[1]);
  CHECK(fx.ingest->appended() == 3);
  CHECK(fx.projection->registry().workers().size() == 3);
}

TEST_CASE("a generic publish with an Idempotency-Key is stored once; its retry answers the "
          "original id") {
  IngestFixture fx;
  auto first = fx.run(fx.ingest->publish({"lab.progress", R"({"p":1})", ""}, {}, "order-7"));
  REQUIRE(std::holds_alternative<domain::EventId>(first));
  // The retry may even carry another body: what was stored under the key stands.
  auto retry = fx.run(fx.ingest->publish({"lab.progress", R"({"p":2})", ""}, {}, "order-7"));
  REQUIRE(std::holds_alternative<domain::EventId>(retry));
  CHECK(std::get<domain::EventId>(retry) == std::get<domain::EventId>(first));
  CHECK(fx.relay->frame_log().size() == 1);
  CHECK(fx.ingest->appended() == 1);
  // Another key, or none, is another event; a CloudEvent can never share a key's slot.
  auto other = fx.run(fx.ingest->publish({"lab.progress", R"({"p":1})", ""}, {}, "order-8"));
  auto keyless = fx.run(fx.ingest->publish({"lab.progress", R"({"p":1})", ""}, {}));
  auto keyless_again = fx.run(fx.ingest->publish({"lab.progress", R"({"p":1})", ""}, {}));
  CHECK(std::get<domain::EventId>(other) != std::get<domain::EventId>(first));
  CHECK(std::get<domain::EventId>(keyless) != std::get<domain::EventId>(keyless_again));
  CHECK(fx.ingest->appended() == 4);
  for (const auto& [key, id] : fx.log.seen) CHECK(key.starts_with("\x1eidempotency-key\x1f"));
}
