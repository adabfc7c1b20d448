#include "infra/redis_event_log.hpp"

#include <cstdio>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include "../support/redis_server.hpp"
#include "service/relay_error.hpp"

namespace asio = boost::asio;
using namespace relay;
using infra::RedisEventLog;

namespace {

struct Recorder final : service::EventTailer {
  std::vector<service::StoredEvent> events;
  void on_event(const service::StoredEvent& event) override { events.push_back(event); }
};

service::LogRecord generic(std::string type, std::string key = "", std::string dedupe = "") {
  return {proto::PublishRequest{std::move(type), R"({"n":1})", std::move(key)}, std::move(dedupe),
          "", ""};
}
std::string type_of(const service::StoredEvent& e) {
  return std::get<proto::PublishRequest>(e.record.body).type;
}

// Two replicas in one process: each an event log on the same stream, driven from test code.
struct Replicas {
  asio::io_context io;
  std::FILE* sink = std::fopen("/dev/null", "w");
  service::Logger logger{sink, service::LogLevel::error};
  test::RedisServer& redis;
  infra::RedisBusConfig config;
  std::unique_ptr<RedisEventLog> a, b;
  Recorder tail_a, tail_b;

  explicit Replicas(test::RedisServer& server) : redis(server) {
    config.port = redis.port();
    config.block = std::chrono::milliseconds(100);
    a = std::make_unique<RedisEventLog>(io.get_executor(), config, logger);
    b = std::make_unique<RedisEventLog>(io.get_executor(), config, logger);
    REQUIRE_FALSE(wait(asio::co_spawn(io, a->connect(), asio::use_future)));
    REQUIRE_FALSE(wait(asio::co_spawn(io, b->connect(), asio::use_future)));
  }
  ~Replicas() {
    a.reset();
    b.reset();
    io.run_for(std::chrono::milliseconds(50));
    std::fclose(sink);
  }
  template <class T>
  T wait(std::future<T> future) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      if (io.run_one_for(std::chrono::milliseconds(50)) == 0) io.restart();
    }
    return future.get();
  }
  service::AppendResult append(RedisEventLog& log, std::vector<service::LogRecord> records) {
    return wait(asio::co_spawn(io, log.append(std::move(records)), asio::use_future));
  }
  template <class Done>
  void run_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      if (io.run_one_for(std::chrono::milliseconds(50)) == 0) io.restart();
    }
  }
};

}  // namespace

TEST_CASE("two replicas on one stream: appends at either reach both tails, same ids, same order") {
  test::RedisServer redis;
  Replicas r(redis);
  r.a->tail({0, 0}, r.tail_a);
  r.b->tail({0, 0}, r.tail_b);
  std::vector<domain::EventId> ids;
  for (int i = 0; i < 20; ++i) {
    auto& log = i % 2 ? *r.b : *r.a;
    auto result = r.append(log, {generic("t." + std::to_string(i))});
    REQUIRE_FALSE(result.error);
    REQUIRE(result.ids.size() == 1);
    ids.push_back(result.ids[0]);
  }
  r.run_until([&] { return r.tail_a.events.size() == 20 && r.tail_b.events.size() == 20; });
  for (std::size_t i = 0; i < 20; ++i) {
    CHECK(r.tail_a.events[i].id == ids[i]);
    CHECK(r.tail_b.events[i].id == ids[i]);
    CHECK(type_of(r.tail_a.events[i]) == "t." + std::to_string(i));
    CHECK(type_of(r.tail_b.events[i]) == type_of(r.tail_a.events[i]));
  }
  // A tail started later, after an id, gets exactly what followed it.
  Recorder late;
  RedisEventLog c(r.io.get_executor(), r.config, r.logger);
  c.tail(ids[14], late);
  r.run_until([&] { return late.events.size() == 5; });
  CHECK(late.events.front().id == ids[15]);
  c.close();
}

TEST_CASE("dedupe keys: a retry (at either replica, or twice in one batch) answers the original "
          "id and is stored once; lookup and read agree") {
  test::RedisServer redis;
  Replicas r(redis);
  auto first = r.append(*r.a, {generic("x.one", "", "src\nid-1"), generic("x.two")});
  REQUIRE_FALSE(first.error);
  CHECK(first.stored == 2);
  auto retry = r.append(*r.b, {generic("x.one", "", "src\nid-1"), generic("x.three", "", "src\nid-3"),
                               generic("x.three", "", "src\nid-3")});
  REQUIRE_FALSE(retry.error);
  CHECK(retry.stored == 1);
  CHECK(retry.ids[0] == first.ids[0]);
  CHECK(retry.ids[1] == retry.ids[2]);
  const std::vector<std::string> keys{"src\nid-1", "", "src\nid-9"};
  auto known = r.wait(asio::co_spawn(r.io, r.a->lookup(keys), asio::use_future));
  CHECK_FALSE(known.error);
  CHECK(known.ids[0] == first.ids[0]);
  CHECK_FALSE(known.ids[1]);
  CHECK_FALSE(known.ids[2]);
  auto after_first = r.wait(asio::co_spawn(r.io, r.b->read(first.ids[0], 10), asio::use_future));
  REQUIRE(after_first.size() == 2);  // x.two, x.three: nothing twice
  CHECK(type_of(after_first[0]) == "x.two");
  CHECK(type_of(after_first[1]) == "x.three");
  CHECK(after_first[1].record.dedupe_key == "src\nid-3");
}

TEST_CASE("the script is loaded again after Redis forgot it; a dead Redis is bus_unavailable") {
  test::RedisServer redis;
  Replicas r(redis);
  REQUIRE_FALSE(r.append(*r.a, {generic("y.one")}).error);
  auto flush = std::make_shared<infra::RedisConnection>(r.io.get_executor());
  REQUIRE_FALSE(r.wait(asio::co_spawn(
      r.io, flush->connect("127.0.0.1", redis.port(), std::chrono::seconds(1)), asio::use_future)));
  r.wait(asio::co_spawn(r.io, flush->command(std::vector<std::string>{"SCRIPT", "FLUSH"}),
                        asio::use_future));
  CHECK_FALSE(r.append(*r.a, {generic("y.two")}).error);  // NOSCRIPT -> SCRIPT LOAD -> EVALSHA
  r.a->keep_connected();  // as in the relay: the loop notes the loss, /readyz waits the grace
  redis.stop();
  const auto down = r.append(*r.a, {generic("y.three")});
  CHECK(down.error == relay::make_error_code(relay::error::bus_unavailable));
  CHECK(down.ids.empty());
  // A lookup Redis does not answer is an error, not "never seen" (which would turn a retry
  // into a conflict).
  const std::vector<std::string> keys{"src\nid-1"};
  CHECK(r.wait(asio::co_spawn(r.io, r.a->lookup(keys), asio::use_future)).error);
  CHECK(r.a->health().ready);  // within the grace: one blip does not leave the balancer
  const auto lost = std::chrono::steady_clock::now();
  r.run_until([&] { return !r.a->health().ready; });
  CHECK(std::chrono::steady_clock::now() - lost >= std::chrono::milliseconds(1500));
  flush->close();
}
