#include "infra/routes/api_routes.hpp"

#include <doctest/doctest.h>

#include "../../support/test_clients.hpp"
#include "../../support/test_server.hpp"

using namespace relay::test;

TEST_CASE("publish answers 202 with the id and the event reaches a subscriber") {
  TestServer server;
  SseReader sub(server.port(), "/api/events/stream");
  REQUIRE(sub.until("connected").size() == 1);
  auto res = publish(server.port(), R"({"type":"demo.hello","data":{"n":1},"key":"k"})");
  CHECK(res.status == 202);
  CHECK(res.headers["Content-Type"] == "application/json");
  const auto id = res.body.substr(7, res.body.size() - 9);
  CHECK(res.body == R"({"id":")" + id + R"("})");
  auto ev = sub.next();
  REQUIRE(ev);
  CHECK(ev->id == id);
  CHECK(ev->event == "demo.hello");
  CHECK(has(ev->data, R"("type":"demo.hello")"));
  CHECK(has(ev->data, R"("data":{"n":1}})"));
  CHECK(json_at(stats(server.port()), "/events_published") == "1");
}

TEST_CASE("every bad publish gets its status and problem type, and nothing is broadcast") {
  relay::infra::AppConfig cfg = TestServer::default_config();
  cfg.http.max_body_bytes = 2048;
  TestServer server(cfg);
  SseReader sub(server.port(), "/api/events/stream");
  REQUIRE(sub.until("connected").size() == 1);
  struct Case {
    std::string body, content_type;
    int status;
    std::string type;
  };
  const std::vector<Case> cases = {
      {"{nope", "application/json", 400, "invalid-json"},
      {R"({"data":1})", "application/json", 400, "invalid-field"},
      {R"({"type":"has space","data":1})", "application/json", 400, "invalid-field"},
      {R"({"type":"a\r\nevent: evil","data":1})", "application/json", 400, "invalid-field"},
      {R"({"type":"a\u0000","data":1})", "application/json", 400, "invalid-field"},
      {R"({"type":"system.sse.shutdown","data":1})", "application/json", 400, "invalid-field"},
      {R"({"type":"ok"})", "application/json", 400, "invalid-field"},
      {R"({"type":"ok","data":1})", "text/plain", 415, "unsupported-media-type"},
      {R"({"type":"ok","data":1})", "", 415, "unsupported-media-type"},
      {R"({"type":"ok","data":")" + std::string(4096, 'x') + R"("})", "application/json", 413,
       "payload-too-large"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body.substr(0, 60));
    auto res = http_request(server.port(), http::verb::post, "/api/events", c.body, c.content_type);
    CHECK(res.status == c.status);
    CHECK(res.headers["Content-Type"] == "application/problem+json");
    CHECK(json_at(res.body, "/type") == "\"urn:sse-relay:problem:" + c.type + "\"");
    CHECK(json_at(res.body, "/status") == std::to_string(c.status));
  }
  CHECK(json_at(stats(server.port()), "/events_published") == "0");
  sub.set_timeout(std::chrono::milliseconds(300));
  auto unexpected = sub.next();
  CHECK_MESSAGE(!unexpected.has_value(),
                "broadcast: " << (unexpected ? unexpected->event + " " + unexpected->data : ""));
}

TEST_CASE("a publish token is required when configured") {
  relay::infra::AppConfig cfg = TestServer::default_config();
  cfg.http.publish_token = "s3cret";
  TestServer server(cfg);
  const std::string body = R"({"type":"t","data":1})";
  auto none = publish(server.port(), body);
  CHECK(none.status == 401);
  CHECK(none.headers["WWW-Authenticate"] == "Bearer realm=\"sse-relay\"");
  CHECK(has(none.body, "unauthorized"));
  CHECK(publish(server.port(), body, {{"Authorization", "Bearer wrong!"}}).status == 401);
  CHECK(publish(server.port(), body, {{"Authorization", "Bearer s3cre"}}).status == 401);
  CHECK(publish(server.port(), body, {{"Authorization", "Basic s3cret"}}).status == 401);
  CHECK(publish(server.port(), body, {{"Authorization", "Bearer s3cret"}}).status == 202);
  CHECK(publish(server.port(), body, {{"Authorization", "bearer s3cret"}}).status ==
        202);  // scheme is case-insensitive
  CHECK(http_request(server.port(), http::verb::post, "/api/events", body,
                     "Application/JSON; charset=utf-8", {{"Authorization", "Bearer s3cret"}})
            .status == 202);
}

TEST_CASE("health, readiness, stats, metrics, unknown routes and methods") {
  TestServer server;
  auto port = server.port();
  CHECK(http_request(port, http::verb::get, "/healthz").status == 200);
  auto ready = http_request(port, http::verb::get, "/readyz");
  CHECK(ready.status == 200);
  auto metrics = http_request(port, http::verb::get, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(has(metrics.headers["Content-Type"], "text/plain; version=0.0.4"));
  CHECK(has(metrics.body,
            "# TYPE sse_relay_connected_subscribers gauge\nsse_relay_connected_subscribers 0\n"));
  CHECK(has(metrics.body, "sse_relay_evictions_total{reason=\"slow_consumer\"} 0"));
  auto missing = http_request(port, http::verb::get, "/nope");
  CHECK(missing.status == 404);
  CHECK(has(missing.body, "not-found"));
  auto wrong = http_request(port, http::verb::delete_, "/api/events");
  CHECK(wrong.status == 405);
  CHECK(wrong.headers["Allow"] == "POST, OPTIONS");
  CHECK(http_request(port, http::verb::post, "/api/events/stream", "{}").status == 405);
  // The dashboard and its modules are served from the binary, revalidated on each load.
  auto index = http_request(port, http::verb::get, "/");
  CHECK(index.status == 200);
  CHECK(index.headers["Content-Type"] == "text/html; charset=utf-8");
  CHECK(index.headers["Cache-Control"] == "no-cache");
  CHECK(has(index.body, "<script type=\"module\" src=\"/dashboard.js\">"));
  auto client = http_request(port, http::verb::get, "/sse-client.js");
  CHECK(client.status == 200);
  CHECK(client.headers["Content-Type"] == "text/javascript; charset=utf-8");
  CHECK(has(client.body, "export class SseClient"));
  CHECK(http_request(port, http::verb::get, "/dashboard.css").headers["Content-Type"] ==
        "text/css; charset=utf-8");
  CHECK(http_request(port, http::verb::get, "/index.html").status == 404);  // only as /
  CHECK(http_request(port, http::verb::post, "/sse-client.js", "{}").status == 405);
}

TEST_CASE("CORS: allowed origins are echoed on responses, streams and preflights") {
  relay::infra::AppConfig cfg = TestServer::default_config();
  cfg.http.cors_origins = {"http://app.example"};
  TestServer server(cfg);
  auto ok = http_request(server.port(), http::verb::get, "/api/events/stats", "", "",
                         {{"Origin", "http://app.example"}});
  CHECK(ok.headers["Access-Control-Allow-Origin"] == "http://app.example");
  auto other = http_request(server.port(), http::verb::get, "/api/events/stats", "", "",
                            {{"Origin", "http://evil.example"}});
  CHECK(other.headers.count("Access-Control-Allow-Origin") == 0);
  auto preflight =
      http_request(server.port(), http::verb::options, "/api/events", "", "",
                   {{"Origin", "http://app.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(preflight.status == 204);
  CHECK(has(preflight.headers["Access-Control-Allow-Headers"], "Authorization"));
  SseReader sub(server.port(), "/api/events/stream", {{"Origin", "http://app.example"}});
  CHECK(has(sub.head(), "Access-Control-Allow-Origin: http://app.example"));
}

TEST_CASE("Expect: 100-continue is answered before the body is sent") {
  TestServer server;
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  const std::string body = R"({"type":"demo.big","data":")" + std::string(2000, 'x') + R"("})";
  const std::string head =
      "POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  asio::write(socket, asio::buffer(head));
  std::string got(64, '\0');
  auto n = socket.read_some(asio::buffer(got));  // must come without sending the body
  CHECK(got.substr(0, n).starts_with("HTTP/1.1 100 Continue\r\n"));
  asio::write(socket, asio::buffer(body));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  CHECK(res.result_int() == 202);
}

TEST_CASE("Expect: 100-continue with a wrong token gets 401 at once, never 100 Continue") {
  auto config = TestServer::default_config();
  config.http.publish_token = "s3cret";
  TestServer server(config);
  const auto head = [](const std::string& token) {
    return "POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Authorization: Bearer " +
           token + "\r\nExpect: 100-continue\r\nContent-Length: 2000\r\n\r\n";
  };
  // No body is sent: the answer must come from the head alone.
  const auto wrong = raw_exchange(server.port(), head("guess"), std::chrono::milliseconds(1000));
  CHECK(wrong.starts_with("HTTP/1.1 401 "));
  CHECK(wrong.find("100 Continue") == std::string::npos);
  CHECK(json_at(stats(server.port()), "/events_published") == "0");
  const auto right = raw_exchange(server.port(), head("s3cret"), std::chrono::milliseconds(300));
  CHECK(right.starts_with("HTTP/1.1 100 Continue\r\n"));
  const auto metrics = http_request(server.port(), http::verb::get, "/metrics").body;
  CHECK(metrics.find(R"(sse_relay_ingest_requests_total{code="401",route="/api/events"} 1)") !=
        std::string::npos);
}
