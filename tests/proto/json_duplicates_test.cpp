#include "proto/json_duplicates.hpp"

#include <doctest/doctest.h>

#include "proto/cloudevents.hpp"
#include "proto/publish_request.hpp"

using relay::proto::find_duplicate_key;

namespace {
std::optional<std::string> duplicate_in(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  return find_duplicate_key(doc);
}
}  // namespace

TEST_CASE("a key repeated in any object, at any depth, is found by its JSON Pointer") {
  CHECK(duplicate_in(R"({"a":1,"b":2})") == std::nullopt);
  CHECK(duplicate_in(R"({"a":1,"a":2})") == "/a");
  CHECK(duplicate_in(R"({"a":{"x":1,"y":{"z":1,"z":2}}})") == "/a/y/z");
  CHECK(duplicate_in(R"([{"k":1},{"k":1,"k":1}])") == "/1/k");
  CHECK(duplicate_in(R"({"a/b":{"~":1,"~":2}})") == "/a~1b/~0");
  // The same key in sibling objects is not a repeat.
  CHECK(duplicate_in(R"([{"k":1},{"k":2}])") == std::nullopt);
  CHECK(duplicate_in(R"("text")") == std::nullopt);
}

TEST_CASE("a publish body with a repeated key is refused, naming the key") {
  // JavaScript would publish type b.two; a relay reading the first would broadcast a.one.
  auto parsed = relay::proto::parse_publish_request(R"({"type":"a.one","data":1,"type":"b.two"})");
  REQUIRE(std::holds_alternative<relay::proto::PublishRequestError>(parsed));
  const auto& error = std::get<relay::proto::PublishRequestError>(parsed);
  CHECK_FALSE(error.invalid_json);
  CHECK(error.pointer == "/type");
  CHECK(error.detail == "appears twice in its object; each key once");
  CHECK(std::holds_alternative<relay::proto::PublishRequestError>(
      relay::proto::parse_publish_request(R"({"type":"a","data":{"n":1,"n":2}})")));
}

TEST_CASE("a CloudEvents batch with a repeated key names the item") {
  const std::string item =
      R"({"specversion":"1.0","id":"1","source":"s","type":"worker.terminated","data":{"worker_id":"w","reason":"r","terminated_at":"2026-01-01T00:00:00Z"}})";
  const std::string bad =
      R"({"specversion":"1.0","id":"2","source":"s","type":"worker.terminated","data":{"worker_id":"w","worker_id":"v","reason":"r","terminated_at":"2026-01-01T00:00:00Z"}})";
  auto parsed = relay::proto::parse_cloudevents("[" + item + "," + bad + "]",
                                                relay::proto::BodyShape::batch, 10);
  REQUIRE(std::holds_alternative<relay::proto::IngestError>(parsed));
  const auto& error = std::get<relay::proto::IngestError>(parsed);
  CHECK(error.index == 1);
  CHECK(error.pointer == "/1/data/worker_id");
}
