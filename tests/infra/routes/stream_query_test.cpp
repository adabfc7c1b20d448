#include "infra/routes/stream_query.hpp"

#include <doctest/doctest.h>

using namespace relay::infra;

TEST_CASE("stream query: repeatable, comma lists, percent-decoding, since") {
  auto q = std::get<StreamQuery>(parse_stream_query(
      "/api/events/stream?types=a.*,b&types=c&worker=w%2D1&worker=w-2&since=5-0&_=123"));
  CHECK(q.types == std::vector<std::string>{"a.*,b", "c"});
  CHECK(q.workers == std::vector<std::string>{"w-1", "w-2"});
  CHECK(q.since == "5-0");
  CHECK(std::get<StreamQuery>(parse_stream_query("/api/events/stream")).types.empty());
  CHECK(std::holds_alternative<std::string>(parse_stream_query("/api/events/stream?a=%zz")));
}

TEST_CASE("stream query: a target longer than the cap is refused, saying so") {
  const std::string target =
      "/api/events/stream?worker=" + std::string(max_stream_target_bytes, 'w');
  auto r = parse_stream_query(target);
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("at most 4096") != std::string::npos);
  CHECK(std::holds_alternative<StreamQuery>(
      parse_stream_query("/api/events/stream?worker=" + std::string(4000, 'w'))));
}
