#include "infra/memory_log/memory_event_log.hpp"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

using namespace relay;
using namespace relay::service;
using relay::infra::MemoryEventLog;

namespace {

struct StepClock final : Clock {
  std::uint64_t ms = 1'800'000'000'000;
  [[nodiscard]] std::uint64_t now_unix_ms() const override { return ms; }
};

struct Recorder final : EventTailer {
  std::vector<domain::EventId> seen;
  void on_event(const StoredEvent& e) override { seen.push_back(e.id); }
};

LogRecord memory_record(std::string type, std::string key = "") {
  return {proto::PublishRequest{std::move(type), "1", ""}, std::move(key), "", ""};
}

template <class T>
T run(boost::asio::awaitable<T> op) {
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.run();
  return f.get();
}

}  // namespace

TEST_CASE("ids are minted in order from the clock; a clock that stands still bumps the sequence") {
  StepClock clock;
  MemoryEventLog log(clock, 10, 10);
  auto a = log.append_now({memory_record("a"), memory_record("b")});
  clock.ms -= 5;  // a step back must not reorder the log
  auto b = log.append_now({memory_record("c")});
  REQUIRE(a.ids.size() == 2);
  CHECK(a.ids[0] == domain::EventId{1'800'000'000'000, 0});
  CHECK(a.ids[1] == domain::EventId{1'800'000'000'000, 1});
  CHECK(b.ids[0] == domain::EventId{1'800'000'000'000, 2});
  CHECK(a.stored == 2);
  CHECK_FALSE(a.error);
}

TEST_CASE("a dedupe key seen before, or earlier in the batch, answers with the first id") {
  StepClock clock;
  MemoryEventLog log(clock, 100, 100);
  // Enough records that the batch's own storage would grow while keys point into it.
  std::vector<LogRecord> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(memory_record("t", "k" + std::to_string(i % 20)));
  auto first = log.append_now(std::move(batch));
  CHECK(first.stored == 20);
  for (int i = 20; i < 40; ++i) CHECK(first.ids[i] == first.ids[i - 20]);
  auto retry = log.append_now({memory_record("t", "k3"), memory_record("t", "new"), memory_record("t")});
  CHECK(retry.ids[0] == first.ids[3]);
  CHECK(retry.stored == 2);  // an empty key is never deduplicated
  auto found = run(log.lookup({"k3", "nope"}));
  CHECK_FALSE(found.error);
  CHECK(found.ids[0] == first.ids[3]);
  CHECK_FALSE(found.ids[1]);
}

TEST_CASE("the dedupe window and the history are bounded") {
  StepClock clock;
  MemoryEventLog log(clock, 3, 2);
  auto a = log.append_now({memory_record("t", "a"), memory_record("t", "b"), memory_record("t", "c")});
  auto again = log.append_now({memory_record("t", "a")});  // forgotten: stored anew
  CHECK(again.stored == 1);
  CHECK(again.ids[0] != a.ids[0]);
  CHECK(log.size() == 3);
}

TEST_CASE("tail delivers what is retained after the given id, then every append, in order") {
  StepClock clock;
  MemoryEventLog log(clock, 10, 10);
  auto first = log.append_now({memory_record("a"), memory_record("b"), memory_record("c")});
  Recorder tailer;
  log.tail(first.ids[0], tailer);
  CHECK(tailer.seen == std::vector<domain::EventId>{first.ids[1], first.ids[2]});
  auto next = log.append_now({memory_record("d")});
  CHECK(tailer.seen.back() == next.ids[0]);  // before append answered
  auto range = run(log.read(first.ids[1], 10));
  REQUIRE(range.size() == 2);
  CHECK(range[0].id == first.ids[2]);
  CHECK(range[1].id == next.ids[0]);
  CHECK(run(log.read({0, 0}, 2)).size() == 2);
  CHECK(log.health().ready);
}

TEST_CASE("the retained history is bounded by bytes as well as by count") {
  StepClock clock;
  MemoryEventLog log(clock, 1000, 1000, 200'000);
  for (int i = 0; i < 40; ++i) {
    log.append_now({{proto::PublishRequest{"t", std::string(64 * 1024, 'x'), ""}, "", "", ""}});
  }
  CHECK(log.size() <= 3);  // 64 KiB events: three fit in 200,000 bytes
  CHECK(log.size() >= 2);
  CHECK(log.retained_bytes() <= 200'000);
  auto last = run(log.read({0, 0}, 100));
  CHECK(last.size() == log.size());
}
