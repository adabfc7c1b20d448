#include "infra/routes/sse_stream.hpp"

#include <atomic>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <doctest/doctest.h>

#include "../../support/idle_event_log.hpp"
#include "../../support/test_clients.hpp"
#include "../../support/test_server.hpp"

using namespace relay::test;

namespace {
std::string published_id(const HttpResult& res) {
  REQUIRE(res.status == 202);
  return res.body.substr(7, res.body.size() - 9);  // {"id":"..."}
}

std::string publish_n(std::uint16_t port, int n) {
  return published_id(
      publish(port, R"({"type":"demo.seq","data":{"n":)" + std::to_string(n) + "}}"));
}

relay::infra::AppConfig config_with(auto&& edit) {
  auto c = TestServer::default_config();
  edit(c);
  return c;
}
}  // namespace

TEST_CASE("the stream opens with the contract headers, retry and connected") {
  TestServer server;
  SseReader sub(server.port(), "/api/events/stream");
  CHECK(sub.status() == 200);
  CHECK(has(sub.head(), "Content-Type: text/event-stream"));
  CHECK(has(sub.head(), "Cache-Control: no-cache"));
  CHECK(has(sub.head(), "X-Accel-Buffering: no"));
  auto connected = sub.next();
  REQUIRE(connected);
  CHECK(sub.retry_ms() == 3000);
  CHECK(connected->event == "connected");
  CHECK(connected->id.empty());
  CHECK(json_at(connected->data, "/client_id").size() == 18);  // 16 hex digits, quoted
  CHECK(json_at(connected->data, "/instance_id").starts_with("\""));
  CHECK(json_at(connected->data, "/heartbeat_ms") == "30000");
  CHECK(json_at(connected->data, "/last_event_id") == "null");
}

TEST_CASE("replay is exact: reconnect with Last-Event-ID k while publishing continues") {
  TestServer server;
  const auto port = server.port();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(publish_n(port, i));

  SseReader first(port, "/api/events/stream?since=" + ids[0]);
  first.until("connected");
  std::string last_seen;
  for (int i = 1; i <= 9; ++i) {
    auto ev = first.next();
    REQUIRE(ev);
    CHECK(ev->id == ids[i]);
    last_seen = ev->id;
  }
  first.close();  // disconnect after event k = 9

  std::atomic<bool> done{false};
  std::vector<std::string> later;
  std::thread producer([&] {
    for (int i = 20; i < 120; ++i) later.push_back(publish_n(port, i));
    done = true;
  });
  SseReader again(port, "/api/events/stream", {{"Last-Event-ID", last_seen}});
  again.until("connected");
  std::vector<std::string> got;
  while (got.size() < 110) {
    auto ev = again.next();
    REQUIRE(ev);
    got.push_back(ev->id);
  }
  producer.join();
  std::vector<std::string> expected(ids.begin() + 10, ids.end());
  expected.insert(expected.end(), later.begin(), later.end());
  CHECK(got == expected);  // k+1..n once each, in order, then live
  auto live = publish_n(port, 999);
  auto ev = again.next();
  REQUIRE(ev);
  CHECK(ev->id == live);
}

TEST_CASE("unusable ids get system.sse.resync with a reason, then live events") {
  TestServer server(config_with([](auto& c) { c.relay.history = 5; }));
  const auto port = server.port();
  const auto oldest_ever = publish_n(port, 0);
  for (int i = 1; i < 10; ++i) publish_n(port, i);
  struct Case {
    std::string id, reason;
  };
  for (const auto& c : std::vector<Case>{
           {oldest_ever, "too_old"}, {"abc", "malformed"}, {"99999999999999-0", "future"}}) {
    CAPTURE(c.id);
    SseReader sub(port, "/api/events/stream?since=" + c.id);
    auto events = sub.until("system.sse.resync");
    REQUIRE(events.size() == 2);
    CHECK(events[0].event == "connected");
    CHECK(has(events[1].data, R"("reason":")" + c.reason + "\""));
    CHECK(has(events[1].data, R"("oldest_id":")"));
    auto live = publish_n(port, 100);
    auto ev = sub.next();
    REQUIRE(ev);
    CHECK(ev->id == live);
  }
  CHECK(json_at(stats(port), "/resyncs") == "3");
}

TEST_CASE("filters: ?types= exact and prefix.*, ?worker= repeatable; bad filters get 400") {
  TestServer server;
  const auto port = server.port();
  SseReader sub(port, "/api/events/stream?types=a.one,b.*");
  sub.until("connected");
  publish(port, R"({"type":"c.x","data":1})");
  publish(port, R"({"type":"a.one","data":2})");
  publish(port, R"({"type":"a.two","data":3})");
  publish(port, R"({"type":"b.deep.name","data":4})");
  auto one = sub.next();
  auto two = sub.next();
  REQUIRE(one);
  REQUIRE(two);
  CHECK(one->event == "a.one");
  CHECK(two->event == "b.deep.name");

  SseReader bad(port, "/api/events/stream?types=a%20b");
  CHECK(bad.status() == 400);
  CHECK(has(bad.rest(), "invalid-query"));
}

TEST_CASE("a heartbeat arrives after the configured silence and not while events flow") {
  TestServer server(
      config_with([](auto& c) { c.relay.heartbeat = std::chrono::milliseconds(300); }));
  const auto port = server.port();
  SseReader sub(port, "/api/events/stream");
  sub.until("connected");
  // Events every 100 ms for 1.2 s: the stream is never silent for 300 ms.
  std::thread producer([&] {
    for (int i = 0; i < 12; ++i) {
      publish_n(port, i);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  int events = 0;
  int heartbeats = 0;
  while (events < 12) {
    auto ev = sub.next();
    REQUIRE(ev);
    if (ev->event == "heartbeat")
      ++heartbeats;
    else
      ++events;
  }
  producer.join();
  CHECK(heartbeats == 0);
  const auto silent_from = std::chrono::steady_clock::now();
  auto hb = sub.next();
  const auto waited = std::chrono::steady_clock::now() - silent_from;
  REQUIRE(hb);
  CHECK(hb->event == "heartbeat");
  CHECK(hb->id.empty());
  CHECK(waited >= std::chrono::milliseconds(150));
}

TEST_CASE("a subscriber that stops reading is evicted while 100 others get all 5,000 events") {
  TestServer server(config_with([](auto& c) {
    c.relay.max_pending_bytes = 256 * 1024;
    c.relay.history = 6000;
  }));
  const auto port = server.port();
  constexpr int subscribers = 100;
  constexpr int events = 5000;
  SseReader stuck(port, "/api/events/stream", {}, 4096);  // never reads past the head
  std::vector<std::unique_ptr<SseReader>> readers;
  for (int i = 0; i < subscribers; ++i) {
    readers.push_back(std::make_unique<SseReader>(port, "/api/events/stream"));
    readers.back()->until("connected");
  }
  std::vector<int> in_order(subscribers, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < subscribers; ++i) {
    threads.emplace_back([&, i] {
      int expected = 0;
      while (expected < events) {
        auto ev = readers[i]->next();
        if (!ev) break;
        if (ev->event != "demo.seq") continue;
        if (!has(ev->data, "\"data\":{\"n\":" + std::to_string(expected) + ",")) break;
        ++expected;
      }
      in_order[i] = expected;
    });
  }
  // ~600-byte events: the stuck subscriber falls 256 KiB behind long before the end.
  const std::string pad(500, 'p');
  asio::io_context io;
  tcp::socket producer(io);
  producer.connect({asio::ip::make_address("127.0.0.1"), port});
  beast::flat_buffer buffer;
  for (int n = 0; n < events; ++n) {
    http::request<http::string_body> req{http::verb::post, "/api/events", 11};
    req.set(http::field::host, "x");
    req.set(http::field::content_type, "application/json");
    req.body() =
        R"({"type":"demo.seq","data":{"n":)" + std::to_string(n) + R"(,"pad":")" + pad + "\"}}";
    req.prepare_payload();
    http::write(producer, req);
    http::response<http::string_body> res;
    http::read(producer, buffer, res);
    REQUIRE(res.result_int() == 202);
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < subscribers; ++i) {
    CAPTURE(i);
    CHECK(in_order[i] == events);
  }
  const auto s = stats(port);
  CHECK(json_at(s, "/evictions/slow_consumer") == "1");
  CHECK(json_at(s, "/clients") == "100");
  // Memory stays bounded: the log holds at most `history` frames.
  CHECK(json_at(s, "/log/size") == "5000");
  CHECK(json_at(s, "/log/capacity") == "6000");
}

TEST_CASE("stop: every subscriber gets every accepted event, then shutdown, then EOF; exit 0") {
  auto server = std::make_unique<TestServer>();
  const auto port = server->port();
  constexpr int subscribers = 20;
  std::vector<std::unique_ptr<SseReader>> readers;
  for (int i = 0; i < subscribers; ++i) {
    readers.push_back(std::make_unique<SseReader>(port, "/api/events/stream"));
    readers.back()->until("connected");
  }
  std::atomic<bool> stop_producing{false};
  std::vector<std::string> accepted;
  std::thread producer([&] {
    for (int n = 0; !stop_producing; ++n) {
      try {
        auto res = publish(port, R"({"type":"demo.seq","data":{"n":)" + std::to_string(n) + "}}");
        if (res.status == 202)
          accepted.push_back(published_id(res));
        else
          break;
      } catch (const std::exception&) {
        break;  // the listener is gone
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int exit_code = server->stop();
  stop_producing = true;
  producer.join();
  CHECK(exit_code == 0);
  REQUIRE(accepted.size() > 10);
  for (auto& reader : readers) {
    auto events = reader->until("system.sse.shutdown");
    REQUIRE(!events.empty());
    CHECK(events.back().event == "system.sse.shutdown");
    CHECK(has(events.back().data, R"("reason":"shutdown","reconnect_ms":)"));
    std::vector<std::string> ids;
    for (auto& ev : events)
      if (!ev.id.empty()) ids.push_back(ev.id);
    CHECK(ids == accepted);
    CHECK_FALSE(reader->next().has_value());
    CHECK(reader->closed());
  }
}

TEST_CASE("subscribers over RELAY_MAX_CLIENTS get 503 problem") {
  TestServer server(config_with([](auto& c) { c.relay.max_clients = 2; }));
  SseReader a(server.port(), "/api/events/stream");
  SseReader b(server.port(), "/api/events/stream");
  SseReader c(server.port(), "/api/events/stream");
  CHECK(a.status() == 200);
  CHECK(c.status() == 503);
  CHECK(has(c.head(), "Retry-After: 5"));
  CHECK(has(c.rest(), "too-many-subscribers"));
}

TEST_CASE("a taken port is a start-up error naming it") {
  TestServer server;
  relay::service::Logger quiet(stderr, relay::service::LogLevel::error);
  asio::io_context io;
  relay::infra::AppConfig cfg;
  cfg.http.host = "127.0.0.1";
  cfg.http.port = server.port();
  relay::infra::SystemClock clock;
  relay::infra::Application app(io, cfg, clock, quiet);
  auto& http = app.http();
  try {
    http.start();
    FAIL("start should have thrown");
  } catch (const std::exception& e) {
    CHECK(has(e.what(), "cannot listen on 127.0.0.1:" + std::to_string(server.port())));
    CHECK(has(e.what(), "in use"));
  }
}

TEST_CASE("a peer that stops reading and never closes is evicted as write_timeout") {
  TestServer server(config_with([](auto& c) {
    c.relay.write_timeout = std::chrono::milliseconds(300);
    c.relay.max_pending_bytes = 64UL * 1024 * 1024;  // the byte budget is not what trips
    c.relay.history = 20000;
  }));
  const auto port = server.port();
  SseReader stuck(port, "/api/events/stream", {}, 4096);  // reads nothing after the head
  SseReader fine(port, "/api/events/stream");
  fine.until("connected");
  const std::string pad(2000, 'p');
  // Fill the kernel buffers until the relay's write to `stuck` cannot complete.
  auto write_timeouts = [&] { return json_at(stats(port), "/evictions/write_timeout"); };
  for (int n = 0; n < 3000 && write_timeouts() != "1"; ++n) {
    published_id(publish(port, R"({"type":"demo.fill","data":")" + pad + "\"}"));
  }
  bool evicted = false;
  for (int i = 0; i < 50 && !evicted; ++i) {
    evicted = write_timeouts() == "1";
    if (!evicted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(evicted);
  CHECK(json_at(stats(port), "/clients") == "1");
  // The other subscriber is unaffected and live.
  const auto id = publish_n(port, 1);
  std::optional<SseEvent> ev;
  while ((ev = fine.next()) && ev->id != id) {
  }
  CHECK(ev.has_value());
}

// The whole relay with its default settings, not listening: for open_stream() called
// directly, its admission over a log whose health the test sets.
struct UnstartedApp {
  relay::service::Logger quiet{stderr, relay::service::LogLevel::error};
  asio::io_context io;
  relay::infra::AppConfig cfg;
  relay::infra::SystemClock clock;
  relay::infra::Application app{io, cfg, clock, quiet};
  relay::test::IdleEventLog log;
  relay::service::AddressQuota quota;
  relay::service::StreamAdmission admission;

  explicit UnstartedApp(std::size_t per_address = 0)
      : quota(per_address), admission(app.relay(), log, quota) {}
  std::variant<relay::infra::OpenedStream, relay::infra::Response> open(
      const relay::infra::Request& req, std::string_view client = "127.0.0.1") {
    return relay::infra::open_stream(req, admission, cfg.http, clock, client);
  }
};

TEST_CASE("a stream request while the relay drains gets 503 draining with Retry-After") {
  UnstartedApp fx;
  asio::co_spawn(fx.io, fx.app.relay().stop(), asio::detached);
  fx.io.poll();
  REQUIRE(fx.app.relay().stopping());
  relay::infra::Request req{http::verb::get, "/api/events/stream", 11};
  auto opened = fx.open(req);
  REQUIRE(std::holds_alternative<relay::infra::Response>(opened));
  const auto& res = std::get<relay::infra::Response>(opened);
  CHECK(res.result_int() == 503);
  CHECK(res[http::field::retry_after] == "1");
  CHECK(json_at(res.body(), "/type") == R"("urn:sse-relay:problem:draining")");
  CHECK(fx.app.relay().stats().rejected_subscriptions == 1);
}

TEST_CASE(
    "a stream asked of a replica still building its state from the bus gets 503 "
    "catching-up, and no subscription") {
  UnstartedApp fx;
  fx.log.state.positioned = false;
  relay::infra::Request req{http::verb::get, "/api/events/stream", 11};
  req.set("Last-Event-ID", "1700000000000-0");
  auto opened = fx.open(req);
  REQUIRE(std::holds_alternative<relay::infra::Response>(opened));
  const auto& res = std::get<relay::infra::Response>(opened);
  CHECK(res.result_int() == 503);
  CHECK(res[http::field::retry_after] == "1");
  CHECK(json_at(res.body(), "/type") == R"("urn:sse-relay:problem:catching-up")");
  CHECK(fx.app.relay().subscriber_count() == 0);
  CHECK(fx.app.relay().stats().subscriptions_total == 0);
}

TEST_CASE("filter amplification: a long or repetitive stream query is refused or costs one entry") {
  TestServer server;
  std::string repeated;
  for (int i = 0; i < 7000; ++i) repeated += "a,";
  SseReader huge(server.port(), "/api/events/stream?worker=" + repeated);
  CHECK(huge.status() == 414);  // 14 KB: over the request line limit of every route
  SseReader long_query(server.port(), "/api/events/stream?worker=" + repeated.substr(0, 6000));
  CHECK(long_query.status() == 400);
  CHECK(json_at(long_query.rest(), "/detail").find("at most 4096") != std::string::npos);
  std::string distinct;
  for (int i = 0; i < 65; ++i) distinct += "w" + std::to_string(i) + ",";
  SseReader many(server.port(), "/api/events/stream?worker=" + distinct);
  CHECK(many.status() == 400);
  CHECK(json_at(many.rest(), "/detail").find("at most 64") != std::string::npos);
  SseReader same(server.port(), "/api/events/stream?worker=" + repeated.substr(0, 2000));
  CHECK(same.status() == 200);
}

TEST_CASE("history is bounded by bytes: large events trim the oldest, replay resyncs past them") {
  TestServer server(config_with([](auto& c) {
    c.relay.history = 10000;
    c.relay.history_bytes = 256 * 1024;
  }));
  const auto port = server.port();
  const std::string pad(20000, 'p');
  std::string first;
  for (int n = 0; n < 40; ++n) {
    auto id = published_id(publish(port, R"({"type":"demo.big","data":")" + pad + "\"}"));
    if (n == 0) first = id;
  }
  const auto s = stats(port);
  CHECK(std::stoull(json_at(s, "/log/retained_bytes")) <= 256 * 1024);
  CHECK(std::stoull(json_at(s, "/log/size")) < 40);
  SseReader late(port, "/api/events/stream", {{"Last-Event-ID", first}});
  auto events = late.until("system.sse.resync");
  REQUIRE_FALSE(events.empty());
  CHECK(json_at(events.back().data, "/reason") == R"("too_old")");
}

TEST_CASE("a stream's 400 and 503 refusals carry CORS headers for an allowed origin") {
  TestServer server(config_with([](auto& c) {
    c.http.cors_origins = {"https://dash.example"};
    c.relay.max_clients = 1;
  }));
  const std::map<std::string, std::string> origin{{"Origin", "https://dash.example"}};
  SseReader bad(server.port(), "/api/events/stream?types=wor*ker", origin);
  CHECK(bad.status() == 400);
  CHECK(has(bad.head(), "Access-Control-Allow-Origin: https://dash.example"));
  CHECK(has(bad.head(), "Vary: Origin"));
  SseReader first(server.port(), "/api/events/stream", origin);
  CHECK(first.status() == 200);
  CHECK(has(first.head(), "Vary: Origin"));
  SseReader full(server.port(), "/api/events/stream", origin);
  CHECK(full.status() == 503);
  CHECK(has(full.head(), "Access-Control-Allow-Origin: https://dash.example"));
  SseReader stranger(server.port(), "/api/events/stream?types=wor*ker",
                     {{"Origin", "https://evil.example"}});
  CHECK_FALSE(has(stranger.head(), "Access-Control-Allow-Origin"));
  CHECK(has(stranger.head(), "Vary: Origin"));
}

TEST_CASE(
    "RELAY_MAX_CLIENTS_PER_IP: an address past its streams gets 503; another address and a "
    "freed place are admitted") {
  UnstartedApp fx(2);
  relay::infra::Request req{http::verb::get, "/api/events/stream", 11};
  auto first = fx.open(req, "10.0.0.1");
  auto second = fx.open(req, "10.0.0.1");
  REQUIRE(std::holds_alternative<relay::infra::OpenedStream>(first));
  REQUIRE(std::holds_alternative<relay::infra::OpenedStream>(second));
  auto third = fx.open(req, "10.0.0.1");
  REQUIRE(std::holds_alternative<relay::infra::Response>(third));
  const auto& refused = std::get<relay::infra::Response>(third);
  CHECK(refused.result_int() == 503);
  CHECK(refused[http::field::retry_after] == "5");
  CHECK(json_at(refused.body(), "/type") == R"("urn:sse-relay:problem:too-many-subscribers")");
  CHECK(refused.body().find("RELAY_MAX_CLIENTS_PER_IP") != std::string::npos);
  auto other = fx.open(req, "10.0.0.2");
  CHECK(std::holds_alternative<relay::infra::OpenedStream>(other));
  std::get<relay::infra::OpenedStream>(first).admitted.slot = {};  // the first stream ended
  CHECK(fx.quota.held("10.0.0.1") == 1);
  auto again = fx.open(req, "10.0.0.1");
  CHECK(std::holds_alternative<relay::infra::OpenedStream>(again));
}
