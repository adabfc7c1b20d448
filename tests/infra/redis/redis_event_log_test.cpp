#include "infra/redis/redis_event_log.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include "../../support/redis_server.hpp"
#include "infra/redis/stream_record.hpp"
#include "service/relay_error.hpp"

namespace asio = boost::asio;
using namespace relay;
using infra::RedisEventLog;

namespace {

struct Recorder final : service::EventTailer {
  std::vector<service::StoredEvent> events;
  void on_event(const service::StoredEvent& event) override { events.push_back(event); }
};

service::LogRecord bus_record(std::string type, std::string key = "", std::string dedupe = "") {
  return {proto::PublishRequest{std::move(type), R"({"n":1})", std::move(key)}, std::move(dedupe),
          "", ""};
}
std::string type_of(const service::StoredEvent& e) {
  return std::get<proto::PublishRequest>(e.record.body).type;
}

// Two replicas in one process: each an event log on the same stream, driven from test code.
struct Replicas {
  asio::io_context io;
  std::FILE* sink = std::getenv("RELAY_TEST_LOG") ? stderr : std::fopen("/dev/null", "w");
  service::Logger logger{sink, service::LogLevel::info};
  test::RedisServer& redis;
  infra::RedisBusConfig config;
  std::unique_ptr<RedisEventLog> a, b;
  Recorder tail_a, tail_b;

  explicit Replicas(test::RedisServer& server) : redis(server) {
    config.port = redis.port();
    config.block = std::chrono::milliseconds(100);
    config.snapshot_spacing = std::chrono::milliseconds(0);  // the tests count snapshots
    a = std::make_unique<RedisEventLog>(io.get_executor(), config, logger);
    b = std::make_unique<RedisEventLog>(io.get_executor(), config, logger);
    REQUIRE_FALSE(wait(asio::co_spawn(io, a->connect(), asio::use_future)));
    REQUIRE_FALSE(wait(asio::co_spawn(io, b->connect(), asio::use_future)));
  }
  ~Replicas() {
    a.reset();
    b.reset();
    io.run_for(std::chrono::milliseconds(50));
    if (sink != stderr) std::fclose(sink);
  }
  /// Replica `a` again with the settings the test changed, keeping its connection (probe
  /// and reconnects running) and tailing from the start into `tailer`, ready.
  void run_a(service::EventTailer& tailer) {
    a = std::make_unique<RedisEventLog>(io.get_executor(), config, logger);
    a->keep_connected();
    a->tail({0, 0}, tailer);
    run_until([&] { return a->health().ready; });
  }
  /// Replica `a` again with the settings the test changed, connected.
  void renew_a() {
    a = std::make_unique<RedisEventLog>(io.get_executor(), config, logger);
    REQUIRE_FALSE(wait(asio::co_spawn(io, a->connect(), asio::use_future)));
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
    auto result = r.append(log, {bus_record("t." + std::to_string(i))});
    REQUIRE_FALSE(result.error);
    REQUIRE(result.ids.size() == 1);
    ids.push_back(result.ids[0]);
  }
  r.run_until([&] { return r.tail_a.events.size() == 20 && r.tail_b.events.size() == 20; });
  for (std::size_t i = 0; i < 20; ++i) {
    CHECK(r.tail_a.events[i].id == ids[i]);
    CHECK(r.tail_b.events[i].id == ids[i]);
    CHECK(type_of(r.tail_a.events[i]) == "t." + std::to_string(i));
    // Each replica folds its own appends from the record it held and decodes the other's:
    // the records are the same either way.
    CHECK(infra::encode_record_v2(r.tail_a.events[i].record) ==
          infra::encode_record_v2(r.tail_b.events[i].record));
  }
  CHECK(r.a->stats().carried == 10);
  CHECK(r.b->stats().carried == 10);
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
  auto first = r.append(*r.a, {bus_record("x.one", "", "src\nid-1"), bus_record("x.two")});
  REQUIRE_FALSE(first.error);
  CHECK(first.stored == 2);
  auto retry = r.append(*r.b, {bus_record("x.one", "", "src\nid-1"), bus_record("x.three", "", "src\nid-3"),
                               bus_record("x.three", "", "src\nid-3")});
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

TEST_CASE("the script is loaded again after Redis forgot it; a dead Redis is bus_unavailable until it is back, and the reconnect is counted") {
  test::RedisServer redis;
  Replicas r(redis);
  REQUIRE_FALSE(r.append(*r.a, {bus_record("y.one")}).error);
  auto flush = std::make_shared<infra::RedisConnection>(r.io.get_executor());
  REQUIRE_FALSE(r.wait(asio::co_spawn(
      r.io, flush->connect("127.0.0.1", redis.port(), std::chrono::seconds(1)), asio::use_future)));
  r.wait(asio::co_spawn(r.io, flush->command(std::vector<std::string>{"SCRIPT", "FLUSH"}),
                        asio::use_future));
  CHECK_FALSE(r.append(*r.a, {bus_record("y.two")}).error);  // NOSCRIPT -> SCRIPT LOAD -> EVALSHA
  r.a->keep_connected();  // as in the relay: the loop notes the loss, /readyz waits the grace
  redis.stop();
  const auto down = r.append(*r.a, {bus_record("y.three")});
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
  CHECK(r.a->stats().reconnects == 0);
  redis.start();  // back: the link reconnects by itself and counts it for /metrics
  r.run_until([&] { return r.a->stats().reconnects == 1; });
  CHECK_FALSE(r.append(*r.a, {bus_record("y.four")}).error);
  flush->close();
}

namespace {

// A tailer with state: the ids it folded; its snapshot is that list.
struct Folder final : service::EventTailer {
  std::vector<domain::EventId> ids;
  std::vector<domain::EventId> folded;  ///< Every event ever folded, across rebuilds.
  std::vector<std::string> gaps;
  std::vector<std::string> rebuilds;  ///< The reason of each rebuild ("" at a start).
  std::vector<std::string> restored;  ///< The snapshots it was handed.
  void on_event(const service::StoredEvent& event) override {
    ids.push_back(event.id);
    folded.push_back(event.id);
  }
  bool rebuild(std::string_view snapshot, const std::string& reason) override {
    rebuilds.push_back(reason);
    restored.emplace_back(snapshot);
    ids.clear();
    std::size_t at = 0;
    while (at < snapshot.size()) {
      const auto comma = std::min(snapshot.find(',', at), snapshot.size());
      ids.push_back(*domain::EventId::parse(snapshot.substr(at, comma - at)));
      at = comma + 1;
    }
    return true;
  }
  void gap(const std::string& reason) override { gaps.push_back(reason); }
  // A rebuild told afterwards (after its events were folded back): the same rebuild's reason.
  void resync(const std::string& reason) override {
    if (!rebuilds.empty() && rebuilds.back().empty()) {
      rebuilds.back() = reason;
    } else {
      rebuilds.push_back(reason);
    }
  }
  [[nodiscard]] service::SnapshotJob snapshot_job() const override {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ",") + id.to_string();
    return [out, elsewhere = encoded_elsewhere, io = io_thread] {
      if (std::this_thread::get_id() != io) ++*elsewhere;
      return out;
    };
  }
  /// Snapshots encoded off the thread that folds (the test's io thread).
  std::shared_ptr<std::atomic<int>> encoded_elsewhere = std::make_shared<std::atomic<int>>(0);
  std::thread::id io_thread = std::this_thread::get_id();
};

// A side connection for what an operator (or a failure) does to Redis.
struct Operator {
  Replicas& r;
  std::shared_ptr<infra::RedisConnection> connection;
  explicit Operator(Replicas& replicas, std::uint16_t port)
      : r(replicas), connection(std::make_shared<infra::RedisConnection>(r.io.get_executor())) {
    REQUIRE_FALSE(r.wait(asio::co_spawn(
        r.io, connection->connect("127.0.0.1", port, std::chrono::seconds(1)), asio::use_future)));
  }
  ~Operator() { connection->close(); }
  infra::RedisValue run(std::vector<std::string> args) {
    auto result = r.wait(asio::co_spawn(r.io, connection->command(std::move(args)), asio::use_future));
    REQUIRE(std::holds_alternative<infra::RedisValue>(result));
    return std::get<infra::RedisValue>(result);
  }
};

std::vector<domain::EventId> append_n(Replicas& r, RedisEventLog& log, int n) {
  std::vector<domain::EventId> ids;
  for (int i = 0; i < n; ++i) {
    auto result = r.append(log, {bus_record("n." + std::to_string(i))});
    REQUIRE_FALSE(result.error);
    ids.push_back(result.ids[0]);
  }
  return ids;
}

TEST_CASE("a rolling upgrade: a replica writing v1 entries and one writing v2 share a stream, "
          "each folds both") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.record_format = 1;
  r.renew_a();
  r.a->tail({0, 0}, r.tail_a);
  r.b->tail({0, 0}, r.tail_b);
  auto old_style = r.append(*r.a, {bus_record("from.v1", "k", "src\x1fid-1")});
  auto new_style = r.append(*r.b, {bus_record("from.v2", "", "src\x1fid-2")});
  REQUIRE_FALSE(old_style.error);
  REQUIRE_FALSE(new_style.error);
  r.run_until([&] { return r.tail_a.events.size() == 2 && r.tail_b.events.size() == 2; });
  for (const auto* tail : {&r.tail_a, &r.tail_b}) {
    CHECK(type_of(tail->events[0]) == "from.v1");
    CHECK(std::get<proto::PublishRequest>(tail->events[0].record.body).key == "k");
    CHECK(tail->events[0].record.dedupe_key == "src\x1fid-1");
    CHECK(type_of(tail->events[1]) == "from.v2");
  }
  // What each wrote is in its own format.
  Operator op(r, redis.port());
  const auto entries = op.run({"XRANGE", r.config.stream, "-", "+"});
  REQUIRE(entries.elements.size() == 2);
  CHECK(entries.elements[0].elements[1].elements[0].text == "v");
  CHECK(entries.elements[1].elements[1].elements[0].text == "r");
  CHECK(r.a->stats().undecodable + r.b->stats().undecodable == 0);
}

TEST_CASE("group commit through Redis: concurrent appends share script runs, each answered with "
          "its own ids, retries within a group stored once") {
  test::RedisServer redis;
  Replicas r(redis);
  r.a->tail({0, 0}, r.tail_a);
  std::vector<std::future<service::AppendResult>> answers;
  for (int i = 0; i < 40; ++i) {
    // Every fifth repeats the key of the one before it: a retry racing its original.
    const auto key = "src\x1fid-" + std::to_string(i % 5 == 4 ? i - 1 : i);
    answers.push_back(asio::co_spawn(r.io, r.a->append({bus_record("g." + std::to_string(i), "", key)}),
                                     asio::use_future));
  }
  std::vector<domain::EventId> ids;
  std::size_t stored = 0;
  for (auto& answer : answers) {
    auto result = r.wait(std::move(answer));
    REQUIRE_FALSE(result.error);
    REQUIRE(result.ids.size() == 1);
    ids.push_back(result.ids[0]);
    stored += result.stored;
  }
  CHECK(stored == 32);
  for (int i = 4; i < 40; i += 5) CHECK(ids[i] == ids[i - 1]);
  CHECK(r.a->stats().appends == 40);
  CHECK(r.a->stats().append_groups < 40);  // the first went alone, the rest in groups
  CHECK(r.a->stats().append_groups >= 2);
  r.run_until([&] { return r.tail_a.events.size() == 32; });
  std::vector<domain::EventId> folded;
  for (const auto& e : r.tail_a.events) folded.push_back(e.id);
  CHECK(std::is_sorted(folded.begin(), folded.end()));
  CHECK(type_of(r.tail_a.events[4]) == "g.5");  // g.4 was g.3's retry
}

}  // namespace

TEST_CASE("Redis wiped under running replicas (FLUSHALL): each rebuilds and tells its streams, "
          "then folds exactly the new stream") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.probe_interval = std::chrono::milliseconds(100);
  r.a = std::make_unique<RedisEventLog>(r.io.get_executor(), r.config, r.logger);
  r.b = std::make_unique<RedisEventLog>(r.io.get_executor(), r.config, r.logger);
  Folder fa, fb;
  r.a->keep_connected();
  r.b->keep_connected();
  r.a->tail({0, 0}, fa);
  r.b->tail({0, 0}, fb);
  r.run_until([&] { return r.a->health().ready && r.b->health().ready; });
  const auto before = append_n(r, *r.a, 5);
  r.run_until([&] { return fa.ids.size() == 5 && fb.ids.size() == 5; });
  const auto epoch = r.a->epoch();
  CHECK(epoch.size() == 16);  // known from the start: created by the first replica to tail
  CHECK(r.b->epoch() == epoch);

  Operator op(r, redis.port());
  op.run({"FLUSHALL"});
  // Nothing appended: the probe notices the epoch key is gone.
  r.run_until([&] { return fa.rebuilds.size() == 1 && fb.rebuilds.size() == 1; });
  CHECK(fa.rebuilds.back() == "bus_data_lost");
  CHECK(fb.rebuilds.back() == "bus_data_lost");
  CHECK(fa.ids.empty());
  CHECK(r.a->stats().epoch_changes == 1);
  const auto after = append_n(r, *r.b, 3);
  r.run_until([&] { return fa.ids.size() == 3 && fb.ids.size() == 3; });
  CHECK(fa.ids == after);
  CHECK(fb.ids == after);
  r.run_until([&] { return !r.a->epoch().empty(); });
  CHECK(r.a->epoch() != epoch);  // a new stream, a new epoch
  r.io.run_for(std::chrono::milliseconds(300));
  CHECK(fa.rebuilds.size() == 1);  // and no rebuild for the new epoch it adopted
  CHECK(r.a->stats().epoch_changes == 1);
}

TEST_CASE("a stream that lost its newest entries (deleted, or a lagging failover copy) is "
          "detected: rebuild and resync, never a silent continue") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.probe_interval = std::chrono::milliseconds(100);
  Folder fa;
  r.run_a(fa);
  const auto ids = append_n(r, *r.a, 4);
  r.run_until([&] { return fa.ids.size() == 4; });
  Operator op(r, redis.port());
  op.run({"XDEL", r.config.stream, ids[2].to_string(), ids[3].to_string()});
  r.run_until([&] { return fa.rebuilds.size() == 1; });
  CHECK(fa.rebuilds.back() == "bus_data_lost");
  r.run_until([&] { return fa.ids.size() == 2; });  // folded again from what is there
  CHECK(fa.ids == std::vector<domain::EventId>{ids[0], ids[1]});
}

TEST_CASE("snapshots: written every N events with a compare-and-set; a replica started after "
          "the stream was trimmed starts from the snapshot and folds only what follows") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.snapshot_every = 10;
  r.config.snapshot_interval = std::chrono::seconds(0);
  r.renew_a();
  Folder fa;
  r.a->tail({0, 0}, fa);
  const auto first = append_n(r, *r.a, 25);
  r.run_until([&] { return fa.ids.size() == 25 && r.a->stats().snapshots_written >= 2; });
  // Captured between folds, encoded on the encoder's thread: the fan-out never waits for it.
  CHECK(*fa.encoded_elsewhere >= 2);
  Operator op(r, redis.port());
  const auto stored = op.run({"HGET", r.config.stream + ":snapshot", "id"});
  const auto stored_id = *domain::EventId::parse(stored.text);
  CHECK(!(stored_id < first[19]));  // at least the 20th event's state
  // Never moved back: an older snapshot of the same epoch is refused by the script.
  const auto data_before = op.run({"HGET", r.config.stream + ":snapshot", "data"}).text;

  op.run({"XTRIM", r.config.stream, "MINID", stored_id.to_string()});  // below the snapshot
  const auto more = append_n(r, *r.a, 5);
  Folder fc;
  RedisEventLog c(r.io.get_executor(), r.config, r.logger);
  REQUIRE_FALSE(r.wait(asio::co_spawn(r.io, c.connect(), asio::use_future)));
  CHECK_FALSE(c.health().positioned);  // no stream can be placed before the state is built
  c.tail({0, 0}, fc);
  r.run_until([&] { return c.health().ready; });
  CHECK(c.health().positioned);
  r.run_until([&] { return fc.ids.size() == fa.ids.size(); });
  CHECK(fc.ids == fa.ids);  // the snapshot's ids, then exactly the entries after it
  REQUIRE(fc.rebuilds.size() == 1);
  CHECK(fc.rebuilds[0].empty());  // a start: nobody to tell
  CHECK(c.stats().gaps == 0);
  CHECK(data_before.find(stored_id.to_string()) != std::string::npos);
  c.close();
}

TEST_CASE("entries trimmed before a replica read them, with no snapshot to cover them: the gap "
          "is reported and counted once") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.snapshot_every = 1'000'000;
  r.config.snapshot_interval = std::chrono::seconds(0);
  r.renew_a();
  const auto ids = append_n(r, *r.a, 10);
  Operator op(r, redis.port());
  op.run({"XTRIM", r.config.stream, "MINID", ids[6].to_string()});
  Folder fc;
  RedisEventLog c(r.io.get_executor(), r.config, r.logger);
  c.tail({0, 0}, fc);
  r.run_until([&] { return c.health().ready || fc.ids.size() == 4; });
  r.run_until([&] { return fc.ids.size() == 4; });
  CHECK(fc.ids.front() == ids[6]);
  CHECK(c.stats().gaps == 1);
  CHECK(fc.gaps == std::vector<std::string>{"bus_gap"});
  c.close();
}

TEST_CASE("RELAY_BUS_WAIT_REPLICAS: 202 only once a Redis replica has the append") {
  test::RedisServer primary;
  test::RedisServer copy;
  Replicas r(primary);
  r.config.wait_replicas = 1;
  r.config.wait_timeout = std::chrono::milliseconds(200);
  r.renew_a();
  // No replica: stored, but not confirmed, so not acknowledged (and said to be stored).
  const auto alone = r.append(*r.a, {bus_record("w.one", "", "src\nw-1")});
  CHECK(alone.error == relay::make_error_code(relay::error::not_replicated));
  CHECK(r.a->stats().append_failures == 1);
  Operator op(r, copy.port());
  op.run({"REPLICAOF", "127.0.0.1", std::to_string(primary.port())});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  service::AppendResult confirmed;
  do {  // until the copy has synchronised
    confirmed = r.append(*r.a, {bus_record("w.one", "", "src\nw-1")});
  } while (confirmed.error && std::chrono::steady_clock::now() < deadline);
  REQUIRE_FALSE(confirmed.error);
  CHECK(confirmed.stored == 0);  // the producer's retry: the original, stored once
  CHECK(confirmed.ids[0].ms > 0);
}

TEST_CASE("a running replica that fell behind past the trimmed entries catches up from the "
          "snapshot and resyncs its streams") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.snapshot_every = 10;
  r.config.snapshot_interval = std::chrono::seconds(0);
  r.renew_a();
  Folder fa;
  r.a->tail({0, 0}, fa);
  auto ids = append_n(r, *r.a, 5);
  // The slow replica runs on an io_context of its own, which the test stops turning.
  asio::io_context slow_io;
  RedisEventLog slow(slow_io.get_executor(), r.config, r.logger);
  Folder fs;
  slow.tail({0, 0}, fs);
  auto turn = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      if (slow_io.run_one_for(std::chrono::milliseconds(50)) == 0) slow_io.restart();
    }
  };
  auto connected = asio::co_spawn(slow_io, slow.connect(), asio::use_future);
  turn([&] { return connected.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  REQUIRE_FALSE(connected.get());
  turn([&] { return fs.ids.size() == 5 && slow.health().ready; });
  const auto more = append_n(r, *r.a, 30);
  ids.insert(ids.end(), more.begin(), more.end());
  r.run_until([&] { return fa.ids.size() == 35 && r.a->stats().snapshots_written >= 2; });
  Operator op(r, redis.port());
  const auto n = std::stoull(op.run({"HGET", r.config.stream + ":snapshot", "n"}).text);
  REQUIRE(n >= 10);
  op.run({"XTRIM", r.config.stream, "MINID", ids[n].to_string()});  // just after the snapshot
  turn([&] { return !fs.rebuilds.empty() && fs.rebuilds.back() == "bus_gap" && fs.ids.size() == 35; });
  CHECK(fs.ids == ids);  // the snapshot's events, then the rest: nothing missing, nothing twice
  CHECK(slow.stats().gaps == 0);
  slow.close();
  slow_io.run_for(std::chrono::milliseconds(50));
}

TEST_CASE("an entry larger than any ingest accepts (XADDed by hand) is counted undecodable, unparsed") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.max_entry_bytes = 80 * 1024;
  r.renew_a();
  const auto before = append_n(r, *r.a, 1);
  Operator op(r, redis.port());
  const auto body = std::string(R"({"type":"huge","data":")") + std::string(2 * 1024 * 1024, 'x') + "\"}";
  op.run({"XADD", r.config.stream, "*", "v", "1", "kind", "generic", "body", body});
  const auto after = append_n(r, *r.a, 1);
  Folder fc;
  RedisEventLog c(r.io.get_executor(), r.config, r.logger);
  c.tail({0, 0}, fc);
  r.run_until([&] { return fc.ids.size() == 2; });
  CHECK(fc.ids == std::vector<domain::EventId>{before[0], after[0]});
  CHECK(c.stats().undecodable == 1);
  c.close();
}

TEST_CASE("the stream deleted (DEL) under a running replica: one rebuild with one reason, then "
          "the new entries fold with no gap reported") {
  test::RedisServer redis;
  Replicas r(redis);
  r.config.probe_interval = std::chrono::milliseconds(100);
  Folder fa;
  r.run_a(fa);
  append_n(r, *r.a, 4);
  r.run_until([&] { return fa.ids.size() == 4; });
  Operator op(r, redis.port());
  op.run({"DEL", r.config.stream});  // the ordinal counter and the epoch stay
  r.run_until([&] { return fa.rebuilds.size() == 1; });
  const auto after = append_n(r, *r.a, 3);
  r.run_until([&] { return fa.ids.size() == 3; });
  r.io.run_for(std::chrono::milliseconds(300));
  CHECK(fa.ids == after);
  CHECK(fa.rebuilds == std::vector<std::string>{"bus_data_lost"});
  // The entries the counter says were appended before the DEL are the loss just reported,
  // not a second one: streams get one resync.
  CHECK(fa.gaps.empty());
  CHECK(r.a->stats().gaps == 0);
}

TEST_CASE("Redis wiped or rewound while producers keep posting: the tail sees the ordinals go "
          "back before folding anything, rebuilds once, and folds each new entry once") {
  test::RedisServer redis;
  Replicas r(redis);
  // The probe is far off: only the tail's own reading can notice in time.
  r.config.probe_interval = std::chrono::seconds(60);
  Folder fa;
  r.run_a(fa);
  append_n(r, *r.b, 5);  // b, as connected by Replicas, is the producers' replica
  r.run_until([&] { return fa.ids.size() == 5; });
  Operator op(r, redis.port());
  op.run({"FLUSHALL"});
  // A new stream mints ids from the clock: past the millisecond of the last one folded, its
  // ids are newer than anything folded (within it they would repeat the wiped ones).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto after = append_n(r, *r.b, 3);  // ordinals 1..3 again
  r.run_until([&] { return fa.rebuilds.size() == 1 && fa.ids.size() == 3; });
  r.io.run_for(std::chrono::milliseconds(300));
  CHECK(fa.rebuilds == std::vector<std::string>{"bus_data_lost"});
  CHECK(fa.ids == after);
  // Each new entry folded (and so broadcast) once: none before the rebuild and again after.
  for (const auto& id : after) CHECK(std::count(fa.folded.begin(), fa.folded.end(), id) == 1);
  CHECK(r.a->stats().epoch_changes == 1);
  CHECK(fa.gaps.empty());
}
