#include "proto/problem.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

using namespace relay::proto;

TEST_CASE("a problem is RFC 9457 JSON; index and pointer only when set") {
  simdjson::dom::parser parser;
  const Problem item{
      409, problem_type::unknown_worker, "Conflict", "item 2: worker \"w\"", "/2/data/worker_id",
      2};
  auto doc = parser.parse(item.to_json());
  CHECK(std::string_view(doc["type"].get_string().value()) ==
        "urn:sse-relay:problem:unknown-worker");
  CHECK(std::string_view(doc["title"].get_string().value()) == "Conflict");
  CHECK(doc["status"].get_int64().value() == 409);
  CHECK(std::string_view(doc["detail"].get_string().value()) == "item 2: worker \"w\"");
  CHECK(std::string_view(doc["pointer"].get_string().value()) == "/2/data/worker_id");
  CHECK(doc["index"].get_int64().value() == 2);
  const Problem plain{400, problem_type::invalid_json, "Invalid JSON", "x", ""};
  auto p = parser.parse(plain.to_json());
  CHECK(p["pointer"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(p["index"].error() == simdjson::NO_SUCH_FIELD);
}
