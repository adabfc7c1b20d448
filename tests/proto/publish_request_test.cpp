#include "proto/publish_request.hpp"

#include <doctest/doctest.h>

#include "proto/envelope.hpp"
#include "proto/event_type.hpp"
#include "proto/problem.hpp"

using namespace relay::proto;

namespace {
PublishRequestError error_of(std::string_view body) {
  auto r = parse_publish_request(body);
  REQUIRE(std::holds_alternative<PublishRequestError>(r));
  return std::get<PublishRequestError>(r);
}
}  // namespace

TEST_CASE("a valid publish keeps type, minified data and key") {
  auto r =
      parse_publish_request(R"({ "type": "demo.tick", "data": { "n" : [1, 2] }, "key": "k1" })");
  REQUIRE(std::holds_alternative<PublishRequest>(r));
  const auto& p = std::get<PublishRequest>(r);
  CHECK(p.type == "demo.tick");
  CHECK(p.data_json == R"({"n":[1,2]})");
  CHECK(p.key == "k1");
  auto scalar = std::get<PublishRequest>(parse_publish_request(R"({"type":"x","data":null})"));
  CHECK(scalar.data_json == "null");
  CHECK(scalar.key.empty());
}

TEST_CASE("bad bodies name the field and the reason") {
  CHECK(error_of("{not json").invalid_json);
  CHECK(error_of("").invalid_json);
  CHECK(error_of("[1]").pointer == "");
  CHECK(error_of(R"({"data":1})").pointer == "/type");
  CHECK(error_of(R"({"type":7,"data":1})").pointer == "/type");
  CHECK(error_of(R"({"type":"a b","data":1})").pointer == "/type");
  CHECK(error_of(R"({"type":"a\nb","data":1})").pointer == "/type");
  CHECK(error_of(R"({"type":"a\u0000b","data":1})").pointer == "/type");
  CHECK(error_of(R"({"type":"system.sse.shutdown","data":1})").pointer == "/type");
  CHECK(error_of(R"({"type":"connected","data":1})").pointer == "/type");
  CHECK(error_of(R"({"type":"ok"})").pointer == "/data");
  CHECK(error_of(R"({"type":"ok","data":1,"key":5})").pointer == "/key");
  CHECK(error_of(R"({"type":"ok","data":1,"key":""})").pointer == "/key");
  CHECK_FALSE(error_of(R"({"type":"ok"})").detail.empty());
}

TEST_CASE("event type rules") {
  CHECK_FALSE(event_type_error("worker.metrics.updated"));
  CHECK_FALSE(event_type_error("a:b-c_d"));
  CHECK(event_type_error(""));
  CHECK(event_type_error(std::string(129, 'a')));
  CHECK(event_type_error("heartbeat"));
  CHECK(event_type_error("system.anything"));
}

TEST_CASE("the envelope carries id, type, time, subject, traceparent and data") {
  auto json =
      encode_envelope({{1795472086313, 2}, "demo", 1795472086313, "worker/w-1", "", R"({"a":1})"});
  CHECK(json == R"({"id":"1795472086313-2","type":"demo","time":"2026-11-23T22:14:46.313Z",)"
                R"("subject":"worker/w-1","traceparent":null,"data":{"a":1}})");
}

TEST_CASE("problems are RFC 9457 JSON") {
  Problem p{400, problem_type::invalid_field, "Invalid Field", "type is required", "/type"};
  CHECK(p.to_json() == R"({"type":"urn:sse-relay:problem:invalid-field","title":"Invalid Field",)"
                       R"("status":400,"detail":"type is required","pointer":"/type"})");
}

TEST_CASE("a conflation key with a control character is refused, as a worker id is") {
  // Kept from fuzz_publish_request (tests/fuzz/regressions/fuzz_publish_request/).
  for (const char* body : {R"({"type":"a","data":1,"key":"k\ny"})", R"({"type":"a","data":1,"key":"k\u0000"})",
                           R"({"type":"a","data":1,"key":"\u007f"})"}) {
    auto parsed = relay::proto::parse_publish_request(body);
    REQUIRE(std::holds_alternative<relay::proto::PublishRequestError>(parsed));
    CHECK(std::get<relay::proto::PublishRequestError>(parsed).pointer == "/key");
    CHECK(std::get<relay::proto::PublishRequestError>(parsed).detail ==
          "must not contain control characters");
  }
}
