// The contract's paths and the methods each takes: what 405 answers name in Allow and what
// OPTIONS offers; a path the relay does not know takes nothing (404).
#include "infra/routes/route_table.hpp"

#include <doctest/doctest.h>

using namespace relay::infra;

TEST_CASE("a target's path is everything before its query") {
  CHECK(target_path("/api/events/stream?types=a,b&since=1-0") == "/api/events/stream");
  CHECK(target_path("/api/workers") == "/api/workers");
  CHECK(target_path("/?") == "/");
  CHECK(target_path("") == "");
}

TEST_CASE("the methods per path") {
  CHECK(allowed_methods(route::publish) == "POST, OPTIONS");
  CHECK(allowed_methods(route::domain_events) == "POST, OPTIONS");
  for (auto path : {route::stream, route::stats, route::metrics, route::healthz, route::readyz,
                    route::workers, std::string_view("/api/workers/w-1"), std::string_view("/")}) {
    CAPTURE(path);
    CHECK(allowed_methods(path) == "GET, HEAD, OPTIONS");
  }
  for (auto unknown : {"/api", "/api/event", "/api/events/streams", "/nope.js", "/metrics/x"}) {
    CAPTURE(unknown);
    CHECK(allowed_methods(unknown).empty());
  }
}
