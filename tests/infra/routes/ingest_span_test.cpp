#include "infra/routes/ingest_span.hpp"

#include <map>

#include <doctest/doctest.h>

#include "../../support/relay_fixture.hpp"

using namespace relay;
namespace http = boost::beast::http;

namespace {
// The attributes of the ingest span of a request with this Host.
std::map<std::string, proto::AttributeValue> attributes_for(const std::string& host) {
  test::FixedClock clock;
  test::SpanRecorder sink;
  service::Tracer tracer(clock, service::Sampler{}, &sink);
  infra::Request req{http::verb::post, "/api/events", 11};
  req.set(http::field::host, host);
  infra::start_ingest_span(tracer, req, "/api/events", {}).end();
  return sink.attributes(0);
}
}  // namespace

TEST_CASE("server.address and server.port come from Host; a hostile port sets no port") {
  auto ok = attributes_for("relay.example:8080");
  CHECK(std::get<std::string>(ok["server.address"]) == "relay.example");
  CHECK(std::get<std::int64_t>(ok["server.port"]) == 8080);
  for (const char* bad :
       {"x:99999999999999999999999999", "x:-1", "x:12a3", "x:0", "x:65536", "x:"}) {
    CAPTURE(bad);
    auto attrs = attributes_for(bad);
    CHECK(attrs.count("server.port") == 0);
    CHECK(std::get<std::string>(attrs["server.address"]) == "x");
  }
}
