#include "infra/http/http_responses.hpp"

#include <doctest/doctest.h>

using namespace relay::infra;
namespace http = boost::beast::http;

namespace {
Request with(std::initializer_list<std::pair<http::field, std::string>> headers) {
  Request req{http::verb::get, "/", 11};
  for (const auto& [f, v] : headers) req.set(f, v);
  return req;
}
}  // namespace

TEST_CASE("responses are sized, typed, uncached, and keep the request's keep-alive") {
  auto req = with({});
  auto res = json_response(req, http::status::ok, R"({"a":1})");
  CHECK(res[http::field::content_type] == "application/json");
  CHECK(res[http::field::content_length] == "7");
  CHECK(res[http::field::cache_control] == "no-store");
  CHECK(res[http::field::server] == "sse-relay");
  CHECK(res.keep_alive());
  req.keep_alive(false);
  CHECK_FALSE(json_response(req, http::status::ok, "{}").keep_alive());
  auto problem =
      problem_response(req, {413, relay::proto::problem_type::payload_too_large, "T", "d", ""});
  CHECK(problem.result_int() == 413);
  CHECK(problem[http::field::content_type] == "application/problem+json");
}

TEST_CASE("CORS: only listed origins (or *) are echoed; Vary: Origin unless *") {
  const std::vector<std::string> listed{"https://a.example", "https://b.example"};
  auto res = json_response(with({}), http::status::ok, "{}");
  apply_cors(with({{http::field::origin, "https://b.example"}}), listed, res);
  CHECK(res[http::field::access_control_allow_origin] == "https://b.example");
  CHECK(res[http::field::vary] == "Origin");
  auto other = json_response(with({}), http::status::ok, "{}");
  apply_cors(with({{http::field::origin, "https://evil.example"}}), listed, other);
  CHECK(other[http::field::access_control_allow_origin].empty());
  CHECK(other[http::field::vary] == "Origin");  // the answer still depends on the Origin
  auto no_origin = json_response(with({}), http::status::ok, "{}");
  apply_cors(with({}), listed, no_origin);
  CHECK(no_origin[http::field::vary] == "Origin");
  auto wildcard = json_response(with({}), http::status::ok, "{}");
  apply_cors(with({{http::field::origin, "https://x"}}), {"*"}, wildcard);
  CHECK(wildcard[http::field::vary].empty());
  auto no_cors = json_response(with({}), http::status::ok, "{}");
  apply_cors(with({{http::field::origin, "https://x"}}), {}, no_cors);
  CHECK(no_cors[http::field::vary].empty());
  CHECK(allowed_origin(with({{http::field::origin, "https://x"}}), {"*"}) == "*");
  CHECK(allowed_origin(with({}), {"*"}).empty());  // no Origin: not a CORS request
  CHECK(allowed_origin(with({{http::field::origin, "https://x"}}), {}).empty());
}

TEST_CASE("media types compare without parameters, spaces or case") {
  CHECK(has_media_type(with({{http::field::content_type, "Application/JSON; charset=utf-8"}}),
                       "application/json"));
  CHECK(has_media_type(with({{http::field::content_type, " application/json "}}),
                       "application/json"));
  CHECK_FALSE(
      has_media_type(with({{http::field::content_type, "application/jsonx"}}), "application/json"));
  CHECK_FALSE(has_media_type(with({}), "application/json"));
}
