#include "infra/routes/worker_routes.hpp"

#include <atomic>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include "../../support/relay_fixture.hpp"
#include "../../support/test_clients.hpp"
#include "../../support/test_server.hpp"

using namespace relay::test;

namespace {

std::string ce(std::string type, std::string data, std::string id) {
  return fmt::format(R"({{"specversion":"1.0","id":"{}","source":"/it","type":"{}","data":{}}})",
                     id, type, data);
}
std::string created(const std::string& worker, const std::string& id) {
  return ce(
      "CMLWorkerCreatedDomainEvent",
      fmt::format(
          R"({{"worker_id":"{}","name":"N {}","region":"eu-west-1","instance_type":"m5.large","status":"pending","created_at":"2026-11-23T10:00:00Z"}})",
          worker, worker),
      id);
}
std::string telemetry(const std::string& worker, int second, const std::string& id) {
  return ce(
      "CMLWorkerTelemetryUpdatedDomainEvent",
      fmt::format(
          R"({{"worker_id":"{}","cpu_percent":{},"memory_percent":50,"labs_count":1,"collected_at":"2026-11-23T10:{:02}:{:02}Z"}})",
          worker, second % 100, second / 60 % 60, second % 60),
      id);
}
HttpResult post(std::uint16_t port, const std::string& body,
                const std::string& type = "application/cloudevents-batch+json",
                std::map<std::string, std::string> headers = {}) {
  return http_request(port, http::verb::post, "/api/domain-events", body, type, std::move(headers));
}
std::string stored(std::uint16_t port) {
  // What the log and the fold hold: appended, broadcast and silent events.
  auto s = http_request(port, http::verb::get, "/api/events/stats").body;
  return json_at(s, "/events_published") + "/" + json_at(s, "/events_broadcast") + "/" +
         json_at(s, "/events_silent");
}
}  // namespace

TEST_CASE("every bad ingest gets its status and problem, and nothing is stored or broadcast") {
  auto cfg = TestServer::default_config();
  cfg.http.max_body_bytes = 32 * 1024;
  TestServer server(cfg);
  const auto port = server.port();
  REQUIRE(post(port, "[" + created("w-1", "seed") + "]").status == 202);
  SseReader sub(port, "/api/events/stream");
  sub.until("connected");
  const auto before = stored(port);

  std::string fifty = "[";
  for (int i = 0; i < 50; ++i) {
    if (i) fifty += ",";
    fifty +=
        i == 42
            ? ce("worker.telemetry.updated",
                 R"({"worker_id":"w-1","cpu_percent":"high","memory_percent":1,"labs_count":1,"collected_at":"2026-11-23T10:00:00Z"})",
                 "t42")
            : telemetry("w-1", i, "t" + std::to_string(i));
  }
  fifty += "]";
  struct Case {
    std::string name, body, content_type;
    int status;
    std::string type, pointer;
    long long index;
  };
  const std::vector<Case> cases = {
      {"bad JSON", "[{", "application/json", 400, "invalid-json", "", -1},
      {"wrong specversion",
       R"({"specversion":"0.3","id":"x","source":"s","type":"worker.created","data":{}})",
       "application/cloudevents+json", 400, "invalid-field", "/specversion", -1},
      {"unknown type", ce("worker.exploded", "{}", "x"), "application/cloudevents+json", 400,
       "invalid-field", "/type", -1},
      {"missing data field",
       ce("worker.terminated", R"({"worker_id":"w-1","terminated_at":"2026-11-23T10:00:00Z"})",
          "x"),
       "application/cloudevents+json", 400, "invalid-field", "/data/reason", -1},
      {"wrong field type",
       ce("worker.status.updated",
          R"({"worker_id":"w-1","status":3,"updated_at":"2026-11-23T10:00:00Z"})", "x"),
       "application/json", 400, "invalid-field", "/data/status", -1},
      {"one bad item in 50", fifty, "application/cloudevents-batch+json", 400, "invalid-field",
       "/42/data/cpu_percent", 42},
      {"unknown worker", "[" + created("w-2", "c2") + "," + telemetry("w-404", 1, "u1") + "]",
       "application/cloudevents-batch+json", 409, "unknown-worker", "/1/data/worker_id", 1},
      {"duplicate create", created("w-1", "again"), "application/cloudevents+json", 409,
       "duplicate-worker", "/data/worker_id", -1},
      {"oversize", "[" + std::string(40 * 1024, ' ') + "]", "application/json", 413,
       "payload-too-large", "", -1},
      {"wrong content type", created("w-3", "x"), "text/plain", 415, "unsupported-media-type", "",
       -1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto res = post(port, c.body, c.content_type);
    CHECK(res.status == c.status);
    CHECK(res.headers["Content-Type"] == "application/problem+json");
    CHECK(json_at(res.body, "/type") == "\"urn:sse-relay:problem:" + c.type + "\"");
    if (!c.pointer.empty()) CHECK(json_at(res.body, "/pointer") == "\"" + c.pointer + "\"");
    if (c.index >= 0) CHECK(json_at(res.body, "/index") == std::to_string(c.index));
    CHECK(stored(port) == before);
  }
  // A transition the lifecycle forbids: stopped -> stopping.
  REQUIRE(post(port,
               ce("worker.status.updated",
                  R"({"worker_id":"w-1","status":"stopped","updated_at":"2026-11-23T10:00:01Z"})",
                  "s1"),
               "application/json")
              .status == 202);
  auto forbidden = post(
      port,
      ce("worker.status.updated",
         R"({"worker_id":"w-1","status":"stopping","updated_at":"2026-11-23T10:00:02Z"})", "s2"),
      "application/json");
  CHECK(forbidden.status == 422);
  CHECK(json_at(forbidden.body, "/type") == R"("urn:sse-relay:problem:invalid-transition")");
  CHECK(json_at(forbidden.body, "/pointer") == R"("/data/status")");
  sub.set_timeout(std::chrono::milliseconds(300));
  auto first = sub.next();
  REQUIRE(first);
  CHECK(first->event == "worker.status.updated");  // the one accepted change, nothing else
  CHECK_FALSE(sub.next().has_value());
}

TEST_CASE("a producer token guards ingest") {
  auto cfg = TestServer::default_config();
  cfg.http.publish_token = "tok";
  TestServer server(cfg);
  CHECK(post(server.port(), created("w-1", "a"), "application/json").status == 401);
  CHECK(post(server.port(), created("w-1", "a"), "application/json",
             {{"Authorization", "Bearer tok"}})
            .status == 202);
}

TEST_CASE("retries with the same (source, id) answer 202 with the original ids, stored once") {
  TestServer server;
  const auto port = server.port();
  auto first = post(port, "[" + created("w-1", "a") + "," + telemetry("w-1", 1, "b") + "]");
  REQUIRE(first.status == 202);
  auto again = post(port, "[" + created("w-1", "a") + "," + telemetry("w-1", 1, "b") + "]");
  CHECK(again.status == 202);
  CHECK(again.body == first.body);
  CHECK(stored(port) == "2/2/0");
}

TEST_CASE("read model: snapshot, single worker, 404, ETag and 304") {
  TestServer server;
  const auto port = server.port();
  auto empty = http_request(port, http::verb::get, "/api/workers");
  CHECK(empty.body == R"({"last_event_id":"0-0","workers":[]})");
  auto ids = post(port, "[" + created("w-1", "a") + "," + telemetry("w-1", 5, "b") + "]");
  REQUIRE(ids.status == 202);
  const auto last =
      ids.body.substr(ids.body.rfind(",\"") + 2, ids.body.rfind('"') - ids.body.rfind(",\"") - 2);
  auto all = http_request(port, http::verb::get, "/api/workers");
  CHECK(all.status == 200);
  CHECK(all.headers["X-Last-Event-ID"] == last);
  CHECK(json_at(all.body, "/last_event_id") == "\"" + last + "\"");
  CHECK(json_at(all.body, "/workers/0/worker_id") == R"("w-1")");
  CHECK(
      json_at(all.body, "/workers/0/metrics") ==
      R"({"cpu_percent":5,"memory_percent":50,"labs_count":1,"collected_at":"2026-11-23T10:00:05.000Z"})");
  CHECK(json_at(all.body, "/workers/0/labs") == "[]");
  CHECK(json_at(all.body, "/workers/0/version") == "2");
  CHECK(json_at(all.body, "/workers/1") == "<missing>");
  auto one = http_request(port, http::verb::get, "/api/workers/w-1");
  CHECK(one.status == 200);
  CHECK(json_at(one.body, "/worker/worker_id") == R"("w-1")");
  CHECK(http_request(port, http::verb::get, "/api/workers/w-9").status == 404);
  auto cached = http_request(port, http::verb::get, "/api/workers", "", "",
                             {{"If-None-Match", all.headers["ETag"]}});
  CHECK(cached.status == 304);
  CHECK(cached.body.empty());
  post(port, "[" + telemetry("w-1", 6, "c") + "]");
  CHECK(http_request(port, http::verb::get, "/api/workers", "", "",
                     {{"If-None-Match", all.headers["ETag"]}})
            .status == 200);
}

TEST_CASE(
    "snapshot then ?since=<last_event_id> misses nothing and repeats nothing while producers "
    "publish") {
  TestServer server;
  const auto port = server.port();
  constexpr int workers = 5;
  std::string seed = "[";
  for (int w = 0; w < workers; ++w)
    seed += (w ? "," : "") + created("w-" + std::to_string(w), "c" + std::to_string(w));
  REQUIRE(post(port, seed + "]").status == 202);
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread producer([&] {
    for (int s = 1; !stop && s < 3000; ++s) {
      auto res = post(
          port,
          "[" + telemetry("w-" + std::to_string(s % workers), s, "t" + std::to_string(s)) + "]");
      if (res.status == 202) ++sent;
    }
  });
  while (sent < 50) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto snapshot = http_request(port, http::verb::get, "/api/workers");
  const auto since = snapshot.headers.at("X-Last-Event-ID");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // more events land meanwhile
  SseReader sub(port, "/api/events/stream?since=" + since);
  sub.until("connected");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  producer.join();
  const auto final_state = http_request(port, http::verb::get, "/api/workers");
  const auto final_id = final_state.headers.at("X-Last-Event-ID");
  std::vector<std::string> ids;
  std::vector<std::string> datas;
  while (ids.empty() || ids.back() != final_id) {
    auto ev = sub.next();
    REQUIRE(ev);
    ids.push_back(ev->id);
    datas.push_back(ev->data);
  }
  std::set<std::string> unique(ids.begin(), ids.end());
  CHECK(unique.size() == ids.size());  // nothing twice
  CHECK(ids.size() > 10);
  // Nothing missed: the snapshot with the stream folded on top equals the final read model.
  // (Telemetry conflates for a subscriber that is behind, so compare state, not counts.)
  auto collected = [](const std::string& json, const char* array_key) {
    std::map<std::string, std::string> out;
    simdjson::dom::parser parser;
    for (auto w : parser.parse(json)[array_key].get_array()) {
      out[std::string(w["worker_id"].get_string().value())] =
          w["metrics"].is_null() ? ""
                                 : std::string(w["metrics"]["collected_at"].get_string().value());
    }
    return out;
  };
  auto state = collected(snapshot.body, "workers");
  simdjson::dom::parser parser;
  for (const auto& data : datas) {
    auto envelope = parser.parse(data);
    state[std::string(envelope["data"]["worker_id"].get_string().value())] =
        std::string(envelope["data"]["collected_at"].get_string().value());
  }
  CHECK(state == collected(final_state.body, "workers"));
}

TEST_CASE("a producer's traceparent travels into the envelope; an invalid one is ignored") {
  TestServer server;
  const auto port = server.port();
  SseReader sub(port, "/api/events/stream");
  sub.until("connected");
  const std::string tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  CHECK(post(port, created("w-1", "a"), "application/cloudevents+json", {{"traceparent", tp}})
            .status == 202);
  CHECK(
      post(port, created("w-2", "b"), "application/cloudevents+json", {{"traceparent", "garbage"}})
          .status == 202);
  CHECK(publish(port, R"({"type":"demo.t","data":1})", {{"traceparent", tp}}).status == 202);
  auto one = sub.next();
  auto two = sub.next();
  auto three = sub.next();
  REQUIRE(one);
  REQUIRE(two);
  REQUIRE(three);
  CHECK(json_at(one->data, "/traceparent") == "\"" + tp + "\"");
  CHECK(json_at(two->data, "/traceparent") == "null");
  CHECK(json_at(three->data, "/traceparent") == "\"" + tp + "\"");
}

TEST_CASE("If-None-Match: * on an unknown worker is 404, on a known one 304") {
  TestServer server;
  const auto port = server.port();
  auto unknown =
      http_request(port, http::verb::get, "/api/workers/w-404", "", "", {{"If-None-Match", "*"}});
  CHECK(unknown.status == 404);
  REQUIRE(post(port, "[" + created("w-1", "a") + "]").status == 202);
  auto known =
      http_request(port, http::verb::get, "/api/workers/w-1", "", "", {{"If-None-Match", "*"}});
  CHECK(known.status == 304);
}

TEST_CASE("a worker id with '/', '?', '%' or spaces is reachable percent-encoded") {
  TestServer server;
  const auto port = server.port();
  REQUIRE(post(port, "[" + created("lab/a b?c%d", "x") + "]").status == 202);
  auto one = http_request(port, http::verb::get, "/api/workers/lab%2Fa%20b%3Fc%25d");
  CHECK(one.status == 200);
  CHECK(json_at(one.body, "/worker/worker_id") == R"("lab/a b?c%d")");
  // The raw form is another path; a bad escape is a 400 that says why.
  CHECK(http_request(port, http::verb::get, "/api/workers/lab/a").status == 404);
  auto bad = http_request(port, http::verb::get, "/api/workers/lab%2");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("percent-encoded") != std::string::npos);
}

TEST_CASE("problem bodies are valid UTF-8 JSON whatever bytes the request carried") {
  TestServer server;
  const auto raw = raw_exchange(server.port(),
                                "GET /nope\xff\xfe\xc0\xaf HTTP/1.1\r\nHost: x\r\n"
                                "Connection: close\r\n\r\n");
  REQUIRE(response_count(raw) == 1);
  CHECK(raw.find("HTTP/1.1 404") == 0);
  const auto body = raw.substr(raw.find("\r\n\r\n") + 4);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(body).get(doc) == simdjson::SUCCESS);  // simdjson validates UTF-8
  CHECK(std::string(doc["detail"].get_string().value()) ==
        "no route for /nope\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  // A repeated key in a domain event names its item and field.
  const std::string twice =
      R"([{"specversion":"1.0","id":"d1","source":"s","type":"worker.created","data":{"worker_id":"w","worker_id":"v","name":"n","region":"r","instance_type":"m","status":"pending","created_at":"2026-01-01T00:00:00Z"}}])";
  auto res = post(server.port(), twice);
  CHECK(res.status == 400);
  CHECK(json_at(res.body, "/pointer") == R"("/0/data/worker_id")");
  CHECK(http_request(server.port(), http::verb::get, "/api/workers").body.find("\"w\"") ==
        std::string::npos);
}

// WorkerRoutes::read with a token's grant, in process: rows by grant, one shared copy per
// grant and version (clients that ask and never read must not hold one copy each), and a
// fresh copy once the read model moves.
using namespace relay;
using namespace relay::infra;

namespace {

struct Routes {
  test::RelayFixture f;
  WorkerRoutes routes{*f.projection};

  void create(const std::string& id, const std::string& region) {
    f.fold(domain::WorkerCreated{id, id, region, "m5.large", domain::WorkerStatus::pending, 1000},
           "c-" + id);
  }
  Response read(const SubscriberGrant* grant) {
    const Request req{boost::beast::http::verb::get, "/api/workers", 11};
    return routes.read(req, "", grant);
  }
};

SubscriberGrant grant_of(std::vector<std::string> regions) {
  auto allowed = service::SubscriptionFilter::grant({}, {}, std::move(regions));
  SubscriberGrant grant{std::get<service::SubscriptionFilter>(allowed), 0, {}};
  grant.canonical = grant.allowed.canonical();
  return grant;
}

}  // namespace

TEST_CASE("a grant's worker list: its rows only, one shared copy per grant and version") {
  Routes r;
  r.create("w-eu", "eu-west-1");
  r.create("w-us", "us-east-1");
  const auto eu = grant_of({"eu-west-1"});
  const auto us = grant_of({"us-east-1"});
  const auto first = r.read(&eu);
  CHECK(first.body().find("w-eu") != std::string_view::npos);
  CHECK(first.body().find("w-us") == std::string_view::npos);
  CHECK(r.read(&eu).body().shares_with(first.body()));  // same grant: the same bytes
  const auto other = r.read(&us);
  CHECK(other.body().find("w-us") != std::string_view::npos);
  CHECK_FALSE(other.body().shares_with(first.body()));
  CHECK(first[boost::beast::http::field::etag] != other[boost::beast::http::field::etag]);
  // The read model moves: a new copy, with the new row.
  r.create("w-eu-2", "eu-west-1");
  const auto after = r.read(&eu);
  CHECK_FALSE(after.body().shares_with(first.body()));
  CHECK(after.body().find("w-eu-2") != std::string_view::npos);
}
