#include "service/fanout.hpp"

#include <doctest/doctest.h>

#include "../support/relay_fixture.hpp"

using namespace relay;
using namespace relay::service;
using relay::test::RecordingSink;
using relay::test::RelayFixture;

TEST_CASE("a new subscriber is written retry and connected at once, then swept frames") {
  RelayFixture fx;
  RecordingSink sink;
  fx.subscribe(sink);
  CHECK(fx.relay->subscriber_count() == 1);
  REQUIRE(sink.written.size() == 1);
  CHECK(sink.written[0].starts_with("retry: 3000\n\nevent: connected\ndata: {\"client_id\":\""));
  fx.io.poll();
  CHECK(sink.written.size() == 1);  // idle: nothing to write yet
  const auto id = fx.publish("demo.a", R"({"x":1})");
  CHECK(sink.written.size() == 1);  // an append only asks for a sweep
  fx.advance(std::chrono::milliseconds(20));
  REQUIRE(sink.written.size() == 2);
  CHECK(sink.written[1] == "id: " + id.to_string() + "\nevent: demo.a\ndata: {\"id\":\"" +
                               id.to_string() +
                               "\",\"type\":\"demo.a\",\"time\":\"2027-01-15T08:00:00.000Z\","
                               "\"subject\":null,\"traceparent\":null,\"data\":{\"x\":1}}\n\n");
  CHECK(fx.relay->stats().deliveries == 1);
  fx.advance(std::chrono::milliseconds(200));  // silence: heartbeat after 50 ms
  REQUIRE(sink.written.size() >= 3);
  CHECK(sink.written[2].starts_with("event: heartbeat\ndata: {\"time\":"));
  CHECK(fx.relay->stats().heartbeats >= 1);
}

TEST_CASE("under load, events appended within the flush interval reach a subscriber in one write") {
  RelayFixture fx;
  fx.reconfigure([](RelayConfig& c) { c.flush_interval = std::chrono::milliseconds(30); });
  RecordingSink sink;
  fx.subscribe(sink);
  fx.publish("first");
  fx.publish("burst");
  fx.advance(std::chrono::milliseconds(5));  // after a quiet spell: at once
  REQUIRE(sink.written.size() == 2);
  fx.publish("second");
  fx.publish("third");
  fx.advance(std::chrono::milliseconds(5));
  // The last sweep carried two entries: load. Held until flush_interval after it.
  CHECK(sink.written.size() == 2);
  fx.advance(std::chrono::milliseconds(60));
  REQUIRE(sink.written.size() == 3);
  CHECK(sink.written[2].find("event: second") < sink.written[2].find("event: third"));
  CHECK(fx.relay->stats().deliveries == 4);
}

TEST_CASE("one event at a time (a closed loop) is never held back by the flush interval") {
  RelayFixture fx;
  fx.reconfigure([](RelayConfig& c) { c.flush_interval = std::chrono::milliseconds(1000); });
  RecordingSink sink;
  fx.subscribe(sink);
  for (int i = 1; i <= 3; ++i) {
    fx.publish("step");
    fx.advance(std::chrono::milliseconds(5));
    CHECK(sink.written.size() == static_cast<std::size_t>(1 + i));
  }
}

TEST_CASE("reconnecting with a retained id replays exactly the missed events in the first write") {
  RelayFixture fx;
  auto a = fx.publish("t");
  auto b = fx.publish("t");
  auto c = fx.publish("t");
  RecordingSink sink;
  fx.subscribe(sink, a.to_string());
  REQUIRE(sink.written.size() == 1);  // preamble and replay in one write
  const auto& text = sink.written[0];
  CHECK(text.starts_with("retry: "));
  CHECK(text.find("id: " + b.to_string()) < text.find("id: " + c.to_string()));
  CHECK(text.find("id: " + a.to_string()) == std::string::npos);
}

TEST_CASE("a too old id gets system.sse.resync with the oldest retained id") {
  RelayFixture fx;
  auto first = fx.publish("t");
  for (int i = 0; i < 10; ++i) fx.publish("t");
  RecordingSink sink;
  fx.subscribe(sink, first.to_string());
  CHECK(sink.written.at(0).find(
            "event: system.sse.resync\ndata: {\"reason\":\"too_old\",\"oldest_id\":\"" +
            fx.relay->frame_log().oldest().id.to_string() + "\"}") != std::string::npos);
  CHECK(fx.relay->stats().resyncs == 1);
}

TEST_CASE("a subscriber whose write does not drain is evicted without slowing the append") {
  RelayFixture fx;
  RecordingSink slow;
  slow.drains = false;
  fx.subscribe(slow);  // the preamble is in flight, never completed
  for (int i = 0; i < 5; ++i) fx.publish("t", std::string(200, '1'));
  CHECK_FALSE(slow.closed);  // an append never looks at subscribers; the sweep does
  fx.advance(std::chrono::milliseconds(20));
  CHECK(slow.closed);
  CHECK_FALSE(slow.graceful);
  CHECK(fx.relay->stats().evictions_for(EvictionReason::slow_consumer) == 1);
  CHECK(fx.relay->subscriber_count() == 0);
}

TEST_CASE("a write that makes no progress within the write timeout is evicted as write_timeout") {
  RelayFixture fx;
  fx.reconfigure([](RelayConfig& c) {
    c.write_timeout = std::chrono::milliseconds(40);
    c.heartbeat = std::chrono::seconds(60);
  });
  RecordingSink stuck;
  stuck.drains = false;  // a peer that stopped reading and never closes
  RecordingSink fine;
  fx.subscribe(stuck);
  fx.subscribe(fine);
  fx.advance(std::chrono::milliseconds(20));
  CHECK_FALSE(stuck.closed);  // within the deadline
  fx.advance(std::chrono::milliseconds(150));
  CHECK(stuck.closed);
  CHECK(fx.relay->stats().evictions_for(EvictionReason::write_timeout) == 1);
  CHECK_FALSE(fine.closed);
  CHECK(fx.relay->subscriber_count() == 1);
}

TEST_CASE("a subscriber whose next entry is trimmed from the log is evicted as lagging") {
  RelayFixture fx;  // frames of ~150 bytes: 9 of them stay under the 1000-byte budget
  fx.reconfigure([](RelayConfig& c) { c.max_pending_bytes = 100000; });
  RecordingSink sink;
  sink.drains = false;
  fx.subscribe(sink);                           // preamble pending: the cursor stays at 0
  for (int i = 0; i < 9; ++i) fx.publish("t");  // history 8: the first one is trimmed
  sink.complete();  // parked; the next sweep finds its next entry trimmed
  fx.advance(std::chrono::milliseconds(20));
  CHECK(sink.closed);
  CHECK(fx.relay->stats().evictions_for(EvictionReason::lagging) == 1);
}

TEST_CASE("conflatable frames collapse for a behind subscriber, never for one that keeps up") {
  RelayFixture fx;
  RecordingSink behind;
  behind.drains = false;
  RecordingSink keeping_up;
  fx.subscribe(behind);
  fx.subscribe(keeping_up);
  fx.publish("m", "0", "w1");
  fx.advance(std::chrono::milliseconds(20));  // a sweep finds `behind` still writing
  fx.publish("m", "1", "w1");
  fx.publish("life", "2");
  fx.publish("m", "3", "w1");
  fx.publish("other", "4", "w1");  // same key, other type: not superseded
  behind.complete();               // parks; the append asked for a sweep
  fx.advance(std::chrono::milliseconds(40));
  const auto& got = behind.written.back();
  CHECK(got.find("\"data\":0}") == std::string::npos);
  CHECK(got.find("\"data\":1}") == std::string::npos);
  CHECK(got.find("\"data\":3}") != std::string::npos);
  CHECK(got.find("\"data\":4}") != std::string::npos);
  CHECK(fx.relay->stats().conflated == 2);
  std::string all;
  for (const auto& w : keeping_up.written) all += w;
  for (int n = 0; n <= 4; ++n)
    CHECK(all.find("\"data\":" + std::to_string(n) + "}") != std::string::npos);
}

TEST_CASE("max clients: the next subscriber is refused with too_many_subscribers") {
  RelayFixture fx;
  RecordingSink a, b, c;
  fx.subscribe(a);
  fx.subscribe(b);
  fx.subscribe(c);
  auto r = fx.relay->subscribe({{}, std::nullopt});
  REQUIRE(std::holds_alternative<relay::error>(r));
  CHECK(std::get<relay::error>(r) == relay::error::too_many_subscribers);
  b.leave();
  CHECK(fx.relay->subscriber_count() == 2);
  CHECK(std::holds_alternative<std::unique_ptr<Subscription>>(fx.relay->subscribe({{}, {}})));
  CHECK(fx.relay->stats().rejected_subscriptions == 1);
}

TEST_CASE("draining: subscribe is refused with draining while stop runs") {
  RelayFixture fx;
  RecordingSink stuck;
  stuck.drains = false;
  fx.subscribe(stuck);  // keeps the drain open
  bool stopped = false;
  fx.spawn_stop(stopped);
  fx.io.poll();
  CHECK(fx.relay->stopping());
  auto r = fx.relay->subscribe({{}, std::nullopt});
  REQUIRE(std::holds_alternative<relay::error>(r));
  CHECK(std::get<relay::error>(r) == relay::error::draining);
  stuck.complete();  // flushes, then the shutdown frame, then done
  fx.advance(std::chrono::milliseconds(20));
  CHECK(stopped);
}

TEST_CASE("stop flushes pending frames, then a jittered shutdown, closes gracefully, completes") {
  RelayFixture fx;
  RecordingSink sink;
  sink.drains = false;
  fx.subscribe(sink);
  fx.publish("t");
  bool stopped = false;
  fx.spawn_stop(stopped);
  fx.io.poll();
  CHECK_FALSE(stopped);
  sink.complete();  // the preamble; then the event and the shutdown frame go out at once
  REQUIRE(sink.written.size() == 3);
  CHECK(sink.written[1].find("event: t\n") != std::string::npos);
  const auto& last = sink.written[2];
  CHECK(last.find("event: system.sse.shutdown\ndata: {\"reason\":\"shutdown\",\"reconnect_ms\":") !=
        std::string::npos);
  const auto ms = std::stoi(last.substr(last.find("retry: ") + 7));
  CHECK(ms >= 3000);
  CHECK(ms <= 3100);
  CHECK(sink.closed);
  CHECK(sink.graceful);
  fx.advance(std::chrono::milliseconds(20));
  CHECK(stopped);  // at once: no fixed wait after the last subscriber left
}

TEST_CASE("stop evicts subscribers still writing when the grace runs out, and completes") {
  RelayFixture fx;
  fx.reconfigure([](RelayConfig& c) { c.shutdown_grace = std::chrono::milliseconds(30); });
  RecordingSink stuck;
  stuck.drains = false;
  fx.subscribe(stuck);
  bool stopped = false;
  fx.spawn_stop(stopped);
  fx.advance(std::chrono::milliseconds(100));
  CHECK(stuck.closed);
  CHECK(stopped);
  CHECK(fx.relay->stats().evictions_for(EvictionReason::shutdown_timeout) == 1);
}

TEST_CASE("a quiet subscriber outlives a run of silent events longer than the log") {
  RelayFixture fx;  // history 8
  RecordingSink sink;
  fx.subscribe(sink);
  for (int i = 0; i < 20; ++i) {
    // A status update for a worker that does not exist: refused by the fold, silent.
    fx.fold(domain::WorkerStatusUpdated{"ghost", domain::WorkerStatus::running, 1});
    fx.advance(std::chrono::milliseconds(1));
  }
  CHECK(fx.relay->stats().fold_rejected == 20);
  fx.publish("after.silence");
  fx.advance(std::chrono::milliseconds(20));
  CHECK_FALSE(sink.closed);
  REQUIRE(sink.written.size() == 2);  // the preamble, then only the real event
  CHECK(sink.written[1].find("event: after.silence") != std::string::npos);
}

TEST_CASE("a subscriber still writing when a sweep passes is woken by a later one") {
  RelayFixture fx;
  RecordingSink sink;
  sink.drains = false;
  fx.subscribe(sink);  // the preamble, not yet written
  fx.publish("during.write");
  fx.advance(std::chrono::milliseconds(20));  // the sweep finds it writing and moves on
  CHECK(sink.writes == 1);
  sink.complete();  // parks, and asks for another sweep
  fx.advance(std::chrono::milliseconds(20));
  REQUIRE(sink.written.size() == 2);
  CHECK(sink.written[1].find("event: during.write") != std::string::npos);
}

TEST_CASE("subscribers leaving in the middle of a sweep make it skip no one else") {
  RelayFixture fx;
  fx.reconfigure([](RelayConfig& c) {
    c.max_clients = 1000;
    c.heartbeat = std::chrono::seconds(60);  // no heartbeat tick due while stepping
  });
  std::vector<std::unique_ptr<RecordingSink>> sinks;
  for (int i = 0; i < 600; ++i) {  // more than two slices of 256
    sinks.push_back(std::make_unique<RecordingSink>());
    fx.subscribe(*sinks.back());  // preamble written, parked
  }
  fx.publish("fanout");
  REQUIRE(fx.timers.step());  // the sweep starts: the first slice only
  CHECK(sinks[0]->written.size() == 2);
  CHECK(sinks[599]->written.size() == 1);
  for (int gone : {3, 300, 598}) {  // before and after the sweep's position
    sinks[gone]->leave();
    sinks[gone].reset();
  }
  CHECK(fx.relay->subscriber_count() == 597);
  fx.advance(std::chrono::milliseconds(50));
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    if (!sinks[i]) continue;
    CAPTURE(i);
    CHECK(sinks[i]->written.size() == 2);
  }
}

TEST_CASE("a generic event's key is what ?worker= follows, live and on replay") {
  RelayFixture fx;
  fx.publish("lab.progress", R"({"p":1})", "lab-1");
  fx.publish("lab.progress", R"({"p":2})", "lab-2");
  RecordingSink replayed;
  fx.subscribe(replayed, "0-0", {}, {"lab-1"});
  REQUIRE(replayed.written.size() == 1);
  CHECK(replayed.written[0].find(R"({"p":1})") != std::string::npos);
  CHECK(replayed.written[0].find(R"({"p":2})") == std::string::npos);
  RecordingSink live;
  fx.subscribe(live, std::nullopt, {}, {"lab-2"});
  fx.publish("lab.progress", R"({"p":3})", "lab-1");
  fx.publish("lab.progress", R"({"p":4})", "lab-2");
  fx.advance(std::chrono::milliseconds(20));
  REQUIRE(live.written.size() == 2);
  CHECK(live.written[1].find(R"({"p":4})") != std::string::npos);
  CHECK(live.written[1].find(R"({"p":3})") == std::string::npos);
  REQUIRE(replayed.written.size() == 2);
  CHECK(replayed.written[1].find(R"({"p":3})") != std::string::npos);
}

TEST_CASE("an operator closes one stream by client id: no event, the others stay; not an eviction") {
  RelayFixture fx;
  RecordingSink a;
  RecordingSink b;
  fx.subscribe(a);
  fx.subscribe(b);
  const auto id = a.sub->client_id();
  CHECK(a.sub->identity().address_text() == "192.0.2.7");
  CHECK(fx.relay->fanout().close_stream(id));
  CHECK(a.closed);
  CHECK(a.graceful);  // a clean end: its client reconnects and resumes
  CHECK_FALSE(b.closed);
  CHECK(fx.relay->subscriber_count() == 1);
  CHECK_FALSE(fx.relay->fanout().close_stream(id));  // gone already
  CHECK(fx.relay->stats().evictions_total() == 0);
}

TEST_CASE("revoking a subject: each of its streams gets reauth {reason: revoked} and closes") {
  RelayFixture fx;
  fx.reconfigure([](RelayConfig& c) { c.max_clients = 10; });
  RecordingSink alice1;
  RecordingSink alice2;
  RecordingSink bob;
  RecordingSink anonymous;
  fx.subscribe(alice1, std::nullopt, {}, {}, "alice");
  fx.subscribe(alice2, std::nullopt, {}, {}, "alice");
  fx.subscribe(bob, std::nullopt, {}, {}, "bob");
  fx.subscribe(anonymous);
  alice2.drains = false;  // mid-write: its reauth follows the write in flight
  fx.publish("demo.a");
  fx.advance(std::chrono::milliseconds(20));
  CHECK(fx.relay->fanout().revoke_subject("alice") == 2);
  CHECK(fx.relay->fanout().revoke_subject("") == 0);  // no token, nothing to revoke
  const std::string revoked = "event: system.sse.reauth\ndata: {\"reason\":\"revoked\"}\n\n";
  REQUIRE_FALSE(alice1.written.empty());
  CHECK(alice1.written.back() == revoked);
  CHECK(alice1.closed);
  CHECK_FALSE(alice2.closed);
  alice2.complete();  // the write in flight ends: the reauth goes out at once, not at a tick
  REQUIRE_FALSE(alice2.written.empty());
  CHECK(alice2.written.back() == revoked);
  CHECK(alice2.closed);
  CHECK_FALSE(bob.closed);
  CHECK_FALSE(anonymous.closed);
  CHECK(fx.relay->stats().reauths == 2);
}
