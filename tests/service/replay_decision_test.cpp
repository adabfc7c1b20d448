#include "service/replay_decision.hpp"

#include <doctest/doctest.h>

using namespace relay::service;
using relay::domain::EventId;

namespace {
void fill(FrameLog& log, std::uint64_t from_ms, int count) {
  for (int i = 0; i < count; ++i) {
    log.append(EventId{from_ms + static_cast<std::uint64_t>(i), 0}, "t", "", "",
               std::make_shared<const std::string>(10, 'x'));
  }
}
}  // namespace

TEST_CASE("replay decision: none, known, too old, unknown, future, malformed") {
  FrameLog log(3);
  using K = ReplayDecision::Kind;
  CHECK(decide_replay(std::nullopt, log).kind == K::live);
  auto empty_log = decide_replay("5-0", log);
  CHECK(empty_log.kind == K::resync);
  CHECK(empty_log.reason == "unknown");
  CHECK(empty_log.oldest_id.empty());

  fill(log, 10, 3);  // 10-0, 11-0, 12-0
  auto live = decide_replay("", log);
  CHECK(live.kind == K::live);
  CHECK(live.from == 3);
  auto replay = decide_replay("10-0", log);
  CHECK(replay.kind == K::replay);
  CHECK(replay.from == 1);
  CHECK(decide_replay("12-0", log).from == 3);  // newest: nothing to replay

  auto unknown_old = decide_replay("9-0", log);  // nothing trimmed yet: never ours
  CHECK(unknown_old.reason == "unknown");
  CHECK(unknown_old.oldest_id == "10-0");
  CHECK(decide_replay("11-5", log).reason == "unknown");
  CHECK(decide_replay("13-0", log).reason == "future");
  CHECK(decide_replay("garbage", log).reason == "malformed");

  fill(log, 13, 1);  // trims 10-0
  auto too_old = decide_replay("10-0", log);
  CHECK(too_old.kind == K::resync);
  CHECK(too_old.reason == "too_old");
  CHECK(too_old.oldest_id == "11-0");
  CHECK(too_old.from == log.end_position());
}

TEST_CASE("replay decision: 0-0 replays everything retained, unless the log has trimmed") {
  FrameLog log(3);
  using K = ReplayDecision::Kind;
  auto nothing_yet = decide_replay("0-0", log);
  CHECK(nothing_yet.kind == K::replay);
  CHECK(nothing_yet.from == 0);
  fill(log, 10, 3);
  CHECK(decide_replay("0-0", log).from == 0);
  fill(log, 13, 1);
  auto trimmed = decide_replay("0-0", log);
  CHECK(trimmed.kind == K::resync);
  CHECK(trimmed.reason == "too_old");
  for (const char* bad : {"-1-0", "1-", "1-0-0", "99999999999999999999-0", " 1-0", "1-0\n"}) {
    CAPTURE(bad);
    CHECK(decide_replay(bad, log).reason == "malformed");
  }
}
