#include "infra/http/error_responses.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

using namespace relay;
using namespace relay::infra;
namespace http = boost::beast::http;

TEST_CASE("each reason has its status and problem type; 503s carry Retry-After") {
  struct Case {
    relay::error reason;
    int status;
    std::string_view type;
    const char* retry_after;
  };
  const Case cases[] = {
      {error::unknown_worker, 409, proto::problem_type::unknown_worker, ""},
      {error::duplicate_worker, 409, proto::problem_type::duplicate_worker, ""},
      {error::worker_terminated, 409, proto::problem_type::worker_terminated, ""},
      {error::invalid_transition, 422, proto::problem_type::invalid_transition, ""},
      {error::draining, 503, proto::problem_type::draining, "1"},
      {error::too_many_subscribers, 503, proto::problem_type::too_many_subscribers, "5"},
      {error::bus_unavailable, 503, proto::problem_type::bus_unavailable, "1"},
  };
  Request req{http::verb::post, "/api/domain-events", 11};
  for (const auto& c : cases) {
    CAPTURE(to_string(c.reason));
    CHECK(status_for(c.reason) == c.status);
    auto res = refusal_response(req, c.reason, "");
    CHECK(res.result_int() == c.status);
    CHECK(res[http::field::retry_after] == c.retry_after);
    CHECK(res[http::field::content_type] == "application/problem+json");
    simdjson::dom::parser parser;
    auto doc = parser.parse(std::string(res.body().view()));
    CHECK(std::string_view(doc["type"].get_string().value()) == c.type);
    CHECK(doc["status"].get_int64().value() == c.status);
    CHECK_FALSE(std::string_view(doc["detail"].get_string().value()).empty());
  }
  auto specific = problem_for(error::unknown_worker, "worker 'w-9' does not exist");
  CHECK(specific.detail == "worker 'w-9' does not exist");
}
