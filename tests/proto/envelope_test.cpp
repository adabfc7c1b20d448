#include "proto/envelope.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

using namespace relay;
using namespace relay::proto;

TEST_CASE("the envelope: id, type, time, subject, traceparent, data; empty ones as null") {
  simdjson::dom::parser parser;
  const auto full = encode_envelope({{1767225600123, 4},
                                     "worker.created",
                                     1767225600123,
                                     "worker/w-\"1",
                                     "00-aa-bb-01",
                                     R"({"k":[1,2]})"});
  auto doc = parser.parse(full);
  CHECK(std::string_view(doc["id"].get_string().value()) == "1767225600123-4");
  CHECK(std::string_view(doc["type"].get_string().value()) == "worker.created");
  CHECK(std::string_view(doc["time"].get_string().value()) == "2026-01-01T00:00:00.123Z");
  CHECK(std::string_view(doc["subject"].get_string().value()) == "worker/w-\"1");  // escaped
  CHECK(std::string_view(doc["traceparent"].get_string().value()) == "00-aa-bb-01");
  CHECK(doc["data"]["k"].at(1).get_int64().value() == 2);
  const auto bare = encode_envelope({{1, 0}, "t", 0, "", "", ""});
  auto b = parser.parse(bare);
  CHECK(b["subject"].is_null());
  CHECK(b["traceparent"].is_null());
  CHECK(b["data"].is_null());
  CHECK(full.find('\n') == std::string::npos);  // one data: line
}
