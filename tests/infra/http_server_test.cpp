#include "infra/http_server.hpp"

#include <doctest/doctest.h>

#include "../support/test_clients.hpp"
#include "../support/test_server.hpp"

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
