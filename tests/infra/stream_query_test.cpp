#include "infra/stream_query.hpp"

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
