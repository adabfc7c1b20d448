#include "infra/http/http_server.hpp"

#include <thread>

#include <fmt/format.h>

#include <doctest/doctest.h>

#include "../../support/test_clients.hpp"
#include "../../support/test_server.hpp"

using namespace relay::test;

namespace {
const std::string smuggled = "GET /api/events/stats HTTP/1.1\r\nHost: x\r\n\r\n";
std::string post_with(const std::string& version, const std::string& te, const std::string& body) {
  return "POST /api/events " + version + "\r\nHost: x\r\nContent-Type: application/json\r\n" +
         "Transfer-Encoding: " + te + "\r\n\r\n" + body;
}
}  // namespace

TEST_CASE(
    "a body framed by a coding other than chunked is refused: 400, closed, nothing smuggled") {
  TestServer server;
  for (const char* te : {"gzip", "identity", "xchunked", "chunked, gzip", "gzip, chunked"}) {
    CAPTURE(te);
    const auto raw = raw_exchange(server.port(), post_with("HTTP/1.1", te, smuggled));
    CHECK(raw.starts_with("HTTP/1.1 400 "));
    CHECK(response_count(raw) == 1);  // the body was not served as a second request
    CHECK(raw.find("Transfer-Encoding") != std::string::npos);  // the detail says why
  }
  const auto old = raw_exchange(server.port(), post_with("HTTP/1.0", "chunked", "0\r\n\r\n"));
  CHECK(old.starts_with("HTTP/1.1 400 "));
  CHECK(response_count(old) == 1);
  const auto stats = http_request(server.port(), http::verb::get, "/api/events/stats").body;
  CHECK(json_at(stats, "/events_published") == "0");
}

TEST_CASE("a chunked body is read as one request and the connection stays usable") {
  TestServer server;
  const std::string body = R"({"type":"demo.x","data":1})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const auto raw = raw_exchange(
      server.port(),
      post_with("HTTP/1.1", "chunked", std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n") +
          smuggled,
      std::chrono::milliseconds(500));
  CHECK(raw.starts_with("HTTP/1.1 202 "));
  CHECK(response_count(raw) == 2);  // the publish, then the stats asked for after it
}

TEST_CASE("stop cuts off a response a client never reads at the shutdown grace") {
  auto config = TestServer::default_config();
  config.relay.shutdown_grace = std::chrono::milliseconds(500);
  config.http.request_timeout = std::chrono::milliseconds(8000);
  config.http.max_body_bytes = 1 << 20;
  config.relay.max_pending_bytes = 4 << 20;
  config.relay.history = 20000;
  TestServer server(config);
  // 12,000 workers: a read model of ~6 MB, more than the socket buffers hold (the kernel
  // grows a loopback send buffer up to 4 MB).
  const std::string name(200, 'n');
  for (int batch = 0; batch < 12; ++batch) {
    std::string body = "[";
    for (int i = 0; i < 1000; ++i) {
      const auto id = std::to_string(batch * 1000 + i);
      if (i > 0) body += ',';
      body +=
          R"({"specversion":"1.0","id":"c-)" + id +
          R"(","source":"/t","type":"worker.created","data":{"worker_id":"w-)" + id +
          R"(","name":")" + name + id +
          R"(","region":"eu-west-1","instance_type":"m5.xlarge","status":"pending","created_at":"2026-11-23T10:00:00Z"}})";
    }
    body += "]";
    REQUIRE(http_request(server.port(), http::verb::post, "/api/domain-events", body,
                         "application/cloudevents-batch+json")
                .status == 202);
  }
  asio::io_context io;
  tcp::socket reader(io);
  reader.open(tcp::v4());
  reader.set_option(asio::socket_base::receive_buffer_size(4096));
  reader.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  const std::string get = "GET /api/workers HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(reader, asio::buffer(get));  // and never read the answer
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = std::chrono::steady_clock::now();
  CHECK(server.stop() == 0);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < std::chrono::milliseconds(2500));  // the grace, not the 8 s request timeout
}

TEST_CASE(
    "conformance: an oversized request line is 414, an oversized head 431, Host must be one") {
  TestServer server;
  const auto port = server.port();
  const auto long_url = raw_exchange(
      port, "GET /api/workers?x=" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(long_url.starts_with("HTTP/1.1 414 "));
  CHECK(long_url.find("urn:sse-relay:problem:uri-too-long") != std::string::npos);
  const auto big_head = raw_exchange(
      port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(17000, 'p') + "\r\n\r\n");
  CHECK(big_head.starts_with("HTTP/1.1 431 "));
  CHECK(big_head.find("urn:sse-relay:problem:header-too-large") != std::string::npos);
  const auto no_host = raw_exchange(port, "GET /healthz HTTP/1.1\r\n\r\n");
  CHECK(no_host.starts_with("HTTP/1.1 400 "));
  CHECK(no_host.find("requires a Host") != std::string::npos);
  const auto two_hosts = raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  CHECK(two_hosts.starts_with("HTTP/1.1 400 "));
  const auto old_client = raw_exchange(port, "GET /healthz HTTP/1.0\r\n\r\n");
  CHECK(old_client.starts_with("HTTP/1.0 200 "));  // HTTP/1.0 may omit Host
}

TEST_CASE("responses say nosniff; the dashboard page carries a Content-Security-Policy") {
  TestServer server;
  auto page = http_request(server.port(), http::verb::get, "/");
  CHECK(page.headers["X-Content-Type-Options"] == "nosniff");
  CHECK(page.headers["Content-Security-Policy"].find("script-src 'self'") != std::string::npos);
  CHECK(page.headers["Content-Security-Policy"].find("frame-ancestors 'none'") !=
        std::string::npos);
  auto api = http_request(server.port(), http::verb::get, "/api/workers");
  CHECK(api.headers["X-Content-Type-Options"] == "nosniff");
  CHECK(api.headers.count("Content-Security-Policy") == 0);
}

TEST_CASE("a 5 KB method is not echoed back whole") {
  TestServer server;
  const auto raw =
      raw_exchange(server.port(), std::string(5000, 'M') + " /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                   std::chrono::milliseconds(500));
  CHECK(raw.size() < 1500);
  CHECK((raw.starts_with("HTTP/1.1 405 ") || raw.starts_with("HTTP/1.1 400 ")));
}

TEST_CASE("HEAD works where GET does: the same head, Content-Length included, no body") {
  TestServer server;
  const auto port = server.port();
  const auto raw = raw_exchange(port,
                                "HEAD /api/workers HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                std::chrono::milliseconds(500));
  CHECK(raw.starts_with("HTTP/1.1 200 "));
  CHECK(response_count(raw) == 2);  // the HEAD had no body, so the next response follows it
  const auto first_end = raw.find("\r\n\r\n");
  CHECK(raw.substr(first_end + 4).starts_with("HTTP/1.1 200 "));
  CHECK(raw.substr(0, first_end).find("Content-Length: 36") != std::string::npos);
  CHECK(raw.ends_with(R"({"status":"ok"})"));
  const auto stream = raw_exchange(port, "HEAD /api/events/stream HTTP/1.1\r\nHost: x\r\n\r\n",
                                   std::chrono::milliseconds(300));
  CHECK(stream.starts_with("HTTP/1.1 200 "));
  CHECK(stream.find("Content-Type: text/event-stream") != std::string::npos);
  const auto page =
      raw_exchange(port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::milliseconds(300));
  CHECK(page.starts_with("HTTP/1.1 200 "));
  CHECK(page.ends_with("\r\n\r\n"));
}

TEST_CASE("a kept-alive connection is closed after RELAY_IDLE_TIMEOUT_MS without a request") {
  auto config = TestServer::default_config();
  config.http.idle_timeout = std::chrono::milliseconds(300);
  config.http.request_timeout = std::chrono::milliseconds(10000);
  TestServer server(config);
  const auto started = std::chrono::steady_clock::now();
  // One request, then silence: the answer arrives and the connection ends at the idle timeout.
  const auto raw = raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                std::chrono::milliseconds(5000));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(response_count(raw) == 1);
  CHECK(took < std::chrono::milliseconds(3000));
}

TEST_CASE("RELAY_REQUEST_TIMEOUT_MS cuts a slow head and a slow body, from the first byte") {
  auto config = TestServer::default_config();
  config.http.idle_timeout = std::chrono::milliseconds(10000);
  config.http.request_timeout = std::chrono::milliseconds(400);
  TestServer server(config);
  // A body that never completes is cut at the request timeout, not at the idle timeout.
  auto timed = [&](const std::string& bytes) {
    const auto started = std::chrono::steady_clock::now();
    const auto raw = raw_exchange(server.port(), bytes, std::chrono::milliseconds(5000));
    return std::pair{raw, std::chrono::steady_clock::now() - started};
  };
  const auto [body_raw, body_took] =
      timed("POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n{\"type\":");
  CHECK(response_count(body_raw) == 0);
  CHECK(body_took < std::chrono::milliseconds(3000));
  const auto [head_raw, head_took] = timed("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  CHECK(response_count(head_raw) == 0);
  CHECK(head_took < std::chrono::milliseconds(3000));
}

namespace {
// Opens a stream and keeps it open; returns the socket and the status line it got.
std::pair<std::unique_ptr<tcp::socket>, std::string> hold_stream(asio::io_context& io,
                                                                 std::uint16_t port,
                                                                 const std::string& extra = "") {
  auto socket = std::make_unique<tcp::socket>(io);
  socket->connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(*socket,
              asio::buffer("GET /api/events/stream HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n"));
  asio::streambuf head;
  asio::read_until(*socket, head, "\r\n");
  std::string line(asio::buffers_begin(head.data()),
                   asio::buffers_begin(head.data()) + static_cast<long>(head.size()));
  return {std::move(socket), line.substr(0, line.find("\r\n"))};
}
}  // namespace

TEST_CASE("RELAY_MAX_CLIENTS_PER_IP over real sockets: the cap counts the peer, and behind a "
          "trusted proxy the forwarded client") {
  asio::io_context io;
  SUBCASE("no trusted proxy: a forged X-Forwarded-For does not escape the cap") {
    auto config = TestServer::default_config();
    config.http.max_clients_per_ip = 2;
    TestServer server(config);
    auto a = hold_stream(io, server.port(), "X-Forwarded-For: 1.1.1.1\r\n");
    auto b = hold_stream(io, server.port(), "X-Forwarded-For: 2.2.2.2\r\n");
    auto c = hold_stream(io, server.port(), "X-Forwarded-For: 3.3.3.3\r\n");
    CHECK(a.second == "HTTP/1.1 200 OK");
    CHECK(b.second == "HTTP/1.1 200 OK");
    CHECK(c.second == "HTTP/1.1 503 Service Unavailable");
    // A place is given back when a stream ends.
    a.first->close();
    bool admitted = false;
    for (int i = 0; i < 50 && !admitted; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      admitted = hold_stream(io, server.port()).second == "HTTP/1.1 200 OK";
    }
    CHECK(admitted);
  }
  SUBCASE("127.0.0.1 trusted: each forwarded client has its own cap") {
    auto config = TestServer::default_config();
    config.http.max_clients_per_ip = 1;
    config.http.trusted_proxies =
        std::get<relay::infra::TrustedProxies>(relay::infra::TrustedProxies::parse({"127.0.0.1"}));
    TestServer server(config);
    auto a = hold_stream(io, server.port(), "X-Forwarded-For: 203.0.113.1\r\n");
    auto b = hold_stream(io, server.port(), "X-Forwarded-For: 203.0.113.2\r\n");
    auto a2 = hold_stream(io, server.port(), "X-Forwarded-For: 203.0.113.1\r\n");
    CHECK(a.second == "HTTP/1.1 200 OK");
    CHECK(b.second == "HTTP/1.1 200 OK");
    CHECK(a2.second == "HTTP/1.1 503 Service Unavailable");
  }
}

TEST_CASE("RELAY_PUBLISH_RATE: a producer over its rate gets 429 with Retry-After and nothing "
          "is stored; other producers are unaffected") {
  auto config = TestServer::default_config();
  config.http.publish_rate = 1;
  config.http.publish_burst = 3;
  // Behind a trusted balancer (127.0.0.1), X-Forwarded-For names each producer's address.
  config.http.trusted_proxies =
      std::get<relay::infra::TrustedProxies>(relay::infra::TrustedProxies::parse({"127.0.0.1"}));
  TestServer server(config);
  const auto event = std::string(R"({"type":"demo.tick","data":{"n":1}})");
  const std::map<std::string, std::string> alice{{"X-Forwarded-For", "203.0.113.1"}};
  for (int i = 0; i < 3; ++i) CHECK(publish(server.port(), event, alice).status == 202);
  const auto refused = publish(server.port(), event, alice);
  CHECK(refused.status == 429);
  CHECK(refused.headers.at("Retry-After") == "1");
  CHECK(json_at(refused.body, "/type") == R"("urn:sse-relay:problem:rate-limited")");
  // With no producer token configured, an Authorization header is nobody's proof: a made-up
  // one is the same producer as its address, never a fresh bucket.
  for (const auto* made_up : {"Bearer alice", "Bearer bob", "Basic eA=="}) {
    auto headers = alice;
    headers.emplace("Authorization", made_up);
    CHECK(publish(server.port(), event, headers).status == 429);
  }
  // Another address is another producer.
  CHECK(publish(server.port(), event, {{"X-Forwarded-For", "203.0.113.2"}}).status == 202);
  const auto stats = http_request(server.port(), http::verb::get, "/api/events/stats");
  CHECK(json_at(stats.body, "/events_published") == "4");
  // A batch larger than the burst can never fit: said plainly, without a Retry-After.
  std::string batch = "[";
  for (int i = 0; i < 4; ++i) {
    batch += fmt::format(
        R"({}{{"specversion":"1.0","id":"e{}","source":"t","type":"worker.created","data":{{"worker_id":"w{}","name":"n","region":"r","instance_type":"m","status":"pending","created_at":"2026-01-01T00:00:00Z"}}}})",
        i ? "," : "", i, i);
  }
  batch += "]";
  const auto big = http_request(server.port(), http::verb::post, "/api/domain-events", batch,
                                "application/cloudevents-batch+json",
                                {{"Authorization", "Bearer carol"}});
  CHECK(big.status == 429);
  CHECK(big.headers.count("Retry-After") == 0);
  CHECK(big.body.find("RELAY_PUBLISH_BURST") != std::string::npos);
}

TEST_CASE("Idempotency-Key on POST /api/events: a retry answers 202 with the original id and "
          "stores nothing; a key that is not 1-255 visible ASCII characters is 400") {
  TestServer server(TestServer::default_config());
  const auto event = std::string(R"({"type":"demo.tick","data":{"n":1}})");
  const auto first = publish(server.port(), event, {{"Idempotency-Key", "pay-2026-12-07-0001"}});
  REQUIRE(first.status == 202);
  const auto retry = publish(server.port(), event, {{"Idempotency-Key", "pay-2026-12-07-0001"}});
  CHECK(retry.status == 202);
  CHECK(json_at(retry.body, "/id") == json_at(first.body, "/id"));
  const auto other = publish(server.port(), event, {{"Idempotency-Key", "pay-2026-12-07-0002"}});
  CHECK(json_at(other.body, "/id") != json_at(first.body, "/id"));
  auto stats = http_request(server.port(), http::verb::get, "/api/events/stats");
  CHECK(json_at(stats.body, "/events_published") == "2");
  for (const auto& bad : {std::string(""), std::string(256, 'k'), std::string("has space"),
                          std::string("caf\xc3\xa9"), std::string("tab\there")}) {
    CAPTURE(bad);
    const auto refused = publish(server.port(), event, {{"Idempotency-Key", bad}});
    CHECK(refused.status == 400);
    CHECK(json_at(refused.body, "/type") == R"("urn:sse-relay:problem:invalid-header")");
    CHECK(json_at(refused.body, "/detail").find("Idempotency-Key") != std::string::npos);
  }
  CHECK(publish(server.port(), event, {{"Idempotency-Key", std::string(255, 'k')}}).status == 202);
  const auto twice = raw_exchange(
      server.port(),
      "POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Idempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: " +
          std::to_string(event.size()) + "\r\nConnection: close\r\n\r\n" + event);
  CHECK(twice.starts_with("HTTP/1.1 400"));
  CHECK(twice.find("more than once") != std::string::npos);
  stats = http_request(server.port(), http::verb::get, "/api/events/stats");
  CHECK(json_at(stats.body, "/events_published") == "3");
}
