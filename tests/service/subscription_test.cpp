#include "service/subscription.hpp"

#include <limits>

#include <doctest/doctest.h>

#include "../support/relay_fixture.hpp"

using namespace relay;
using namespace relay::service;
using namespace std::chrono_literals;
using relay::test::text_of;

namespace {

using time_point = Subscription::time_point;
const time_point t0{std::chrono::seconds(1000)};

// A frame log, the relay's frames and a subscription, with time passed by hand.
struct Machine {
  relay::test::FixedClock clock;
  FrameLog log{8};
  RelayFrames frames{clock, {3000ms, 100ms, 0ms}, "test"};
  SharedRangeCache shared;
  BatchLimits limits{};
  Subscription sub{"c1", {}, 0, "PREAMBLE", 100ms, t0};
  std::uint64_t ms = 1;

  void append(std::string type, std::string key = "", std::string body = "x") {
    const domain::EventId id{ms++, 0};
    log.append(id, type, key.empty() ? "" : type + '\n' + key, "",
               std::make_shared<const std::string>(type + ":" + body + "\n"));
  }
  Subscription::Next next(time_point now, bool stopping = false) {
    WriteContext ctx{log, limits, stopping, frames, shared};
    return sub.next(ctx, now);
  }
};

}  // namespace

TEST_CASE("the first write is the preamble; then it parks until the log moves") {
  Machine m;
  auto first = m.next(t0);
  REQUIRE(first.kind == Subscription::Next::Kind::write);
  CHECK(text_of(first.batch) == "PREAMBLE");
  CHECK(m.sub.state() == Subscription::State::writing);
  CHECK(m.sub.written(false, t0) == Subscription::AfterWrite::park);
  CHECK_FALSE(m.sub.wants_tick(t0 + 10ms));
  CHECK_FALSE(m.sub.wants_sweep(m.log.end_position(), t0 + 10ms, false));
  m.append("a");
  CHECK(m.sub.wants_sweep(m.log.end_position(), t0 + 10ms, false));
  CHECK_FALSE(m.sub.wants_tick(t0 + 10ms));  // frames are the sweeps' job
  auto batch = m.next(t0 + 10ms);
  REQUIRE(batch.kind == Subscription::Next::Kind::write);
  CHECK(text_of(batch.batch) == "a:x\n");
  CHECK(batch.batch.event_frames == 1);
}

TEST_CASE("a heartbeat is due after the interval of silence, measured from the last write") {
  Machine m;
  (void)m.next(t0);
  m.sub.written(false, t0 + 20ms);
  CHECK_FALSE(m.sub.wants_tick(t0 + 119ms));
  CHECK(m.sub.wants_tick(t0 + 120ms));
  CHECK_FALSE(m.sub.wants_sweep(m.log.end_position(), t0 + 120ms, false));  // sweeps: no
  auto hb = m.next(t0 + 120ms);
  REQUIRE(hb.kind == Subscription::Next::Kind::write);
  CHECK(hb.batch.heartbeat);
  CHECK(text_of(hb.batch).starts_with("event: heartbeat\ndata: {\"time\":"));
  m.sub.written(false, t0 + 121ms);
  CHECK_FALSE(m.sub.wants_tick(t0 + 200ms));
}

TEST_CASE("a write in flight past the write timeout is write_timeout; over budget, slow_consumer") {
  Machine m;
  (void)m.next(t0);  // in flight from t0
  const EvictionLimits limits{1000, 500ms};
  CHECK_FALSE(m.sub.check_writer(m.log, limits, t0 + 499ms));
  CHECK(m.sub.check_writer(m.log, limits, t0 + 500ms) == EvictionReason::write_timeout);
  CHECK_FALSE(m.sub.check_writer(m.log, {1000, 0ms}, t0 + 1h));  // 0: no deadline
  for (int i = 0; i < 4; ++i) m.append("big", "", std::string(300, 'b'));
  CHECK(m.sub.check_writer(m.log, {1000, 0ms}, t0) == EvictionReason::slow_consumer);
  m.sub.written(false, t0 + 1ms);
  CHECK_FALSE(m.sub.check_writer(m.log, limits, t0 + 1h));  // not writing: nothing to check
}

TEST_CASE("a cursor behind the log's oldest entry is evicted as lagging") {
  Machine m;
  (void)m.next(t0);
  m.sub.written(false, t0);
  for (int i = 0; i < 9; ++i) m.append("t");  // capacity 8: position 0 is gone
  auto next = m.next(t0 + 1ms);
  CHECK(next.kind == Subscription::Next::Kind::evict);
  CHECK(next.reason == EvictionReason::lagging);
  CHECK(m.sub.state() == Subscription::State::done);
}

TEST_CASE("a capped replay asks to write again at once; at stop the last batch closes") {
  Machine m;
  m.limits = {2, 1 << 20};
  for (int i = 0; i < 3; ++i) m.append("t");
  auto first = m.next(t0);  // preamble + 2 frames
  CHECK(first.batch.capped);
  CHECK(m.sub.written(false, t0) == Subscription::AfterWrite::write_again);
  auto second = m.next(t0);
  CHECK(second.batch.event_frames == 1);
  CHECK_FALSE(second.batch.capped);
  CHECK(m.sub.written(true, t0) == Subscription::AfterWrite::write_again);  // stopping: flush
  auto last = m.next(t0, /*stopping=*/true);
  REQUIRE(last.kind == Subscription::Next::Kind::write);
  CHECK(last.batch.closes_stream);
  CHECK(text_of(last.batch).find("event: system.sse.shutdown") != std::string::npos);
  CHECK(m.sub.written(true, t0) == Subscription::AfterWrite::finished);
  CHECK(m.sub.state() == Subscription::State::done);
  CHECK(m.next(t0).kind == Subscription::Next::Kind::park);  // nothing after done
}

TEST_CASE("one that keeps up takes the shared range; one marked behind conflates its batch") {
  Machine m;
  (void)m.next(t0);
  m.sub.written(false, t0);
  m.append("m", "w1", "1");
  m.append("m", "w1", "2");
  auto up = m.next(t0);
  REQUIRE(up.batch.frames.size() == 1);  // one shared buffer for the range
  CHECK(text_of(up.batch) == "m:1\nm:2\n");
  m.sub.mark_behind();  // a sweep found it still writing
  m.append("m", "w1", "3");
  m.append("m", "w1", "4");
  m.sub.written(false, t0);
  auto behind = m.next(t0);
  CHECK(text_of(behind.batch) == "m:4\n");
  CHECK(behind.batch.conflated == 1);
}

TEST_CASE("at its token's expiry a subscription writes system.sse.reauth alone, then closes") {
  Machine m;
  m.sub.expire_at(t0 + 50ms);
  (void)m.next(t0);
  m.sub.written(false, t0);
  m.append("a");
  auto before = m.next(t0 + 10ms);  // still valid: the event
  REQUIRE(before.kind == Subscription::Next::Kind::write);
  CHECK(text_of(before.batch) == "a:x\n");
  m.sub.written(false, t0 + 10ms);
  CHECK_FALSE(m.sub.wants_tick(t0 + 49ms));
  CHECK_FALSE(m.sub.wants_sweep(m.log.end_position(), t0 + 49ms, false));
  // Expiry is work for a parked subscriber (the fan-out's tick finds it)...
  CHECK(m.sub.wants_tick(t0 + 50ms));
  // ...and nothing of the log goes out after it: the client resumes from its last id.
  m.append("b");
  auto reauth = m.next(t0 + 50ms);
  REQUIRE(reauth.kind == Subscription::Next::Kind::write);
  CHECK(text_of(reauth.batch) == "event: system.sse.reauth\ndata: {\"reason\":\"token_expired\"}\n\n");
  CHECK(reauth.batch.closes_stream);
  CHECK(reauth.batch.reauth);  // counted by the fan-out (sse_relay_reauths_total)
  CHECK(reauth.batch.event_frames == 0);
  CHECK(m.sub.written(false, t0 + 51ms) == Subscription::AfterWrite::finished);
}

TEST_CASE("a subscription whose token expired before its preamble went out sends both, then closes") {
  Machine m;
  m.sub.expire_at(t0);
  auto only = m.next(t0);
  REQUIRE(only.kind == Subscription::Next::Kind::write);
  CHECK(text_of(only.batch) ==
        "PREAMBLEevent: system.sse.reauth\ndata: {\"reason\":\"token_expired\"}\n\n");
  CHECK(only.batch.closes_stream);
}

TEST_CASE("a token's wall-clock expiry becomes a steady moment, saturating far in the future") {
  const auto now = time_point{} + 1000h;
  const std::int64_t now_ms = 1'800'000'000'000;
  CHECK(Subscription::steady_expiry(now, now_ms, now_ms + 90'000) == now + 90s);
  CHECK(Subscription::steady_expiry(now, now_ms, now_ms - 1) == now);  // already past: now
  CHECK(Subscription::steady_expiry(now, now_ms, now_ms) == now);
  // Year 9999, year 3000, 2^53-1 s and the largest int64 (ms): valid until the stream ends,
  // never an overflow that expires the stream at once.
  for (const std::int64_t far : {std::int64_t{253'402'300'799'000}, std::int64_t{32'503'680'000'000},
                                 std::int64_t{9'007'199'254'740'991} * 1000,
                                 std::numeric_limits<std::int64_t>::max()}) {
    CAPTURE(far);
    const auto at = Subscription::steady_expiry(now, now_ms, far);
    CHECK(at > now + 24h * 365 * 100);
  }
  CHECK(Subscription::steady_expiry(now, now_ms, std::numeric_limits<std::int64_t>::max()) ==
        time_point::max());
  // A clock before 1970 still counts forward from 0, without overflow.
  CHECK(Subscription::steady_expiry(now, -5, 10) == now + 10ms);
}

TEST_CASE("a subscriber's identity keeps its address compactly and gives it back as text") {
  relay::service::SubscriberIdentity who;
  CHECK(who.address_text().empty());
  who.set_address("10.1.2.3");
  CHECK(who.address_text() == "10.1.2.3");
  who.set_address("2001:db8::7");
  CHECK(who.address_text() == "2001:db8::7");
  who.set_address("not an address");  // kept as it was
  CHECK(who.address_text() == "2001:db8::7");
  CHECK(sizeof(relay::service::SubscriberIdentity) == 32);
}
