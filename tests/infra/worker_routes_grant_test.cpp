// WorkerRoutes::read with a token's grant, in process: rows by grant, one shared copy per
// grant and version (clients that ask and never read must not hold one copy each), and a
// fresh copy once the read model moves.
#include <doctest/doctest.h>

#include "../support/relay_fixture.hpp"
#include "infra/memory_event_log.hpp"
#include "infra/worker_routes.hpp"

using namespace relay;
using namespace relay::infra;

namespace {

struct Routes {
  test::RelayFixture f;
  MemoryEventLog log{f.clock, 16, 16};
  bool draining = false;
  service::EventIngest ingest{log, *f.projection, draining};
  WorkerRoutes routes{ingest, *f.projection};

  void create(const std::string& id, const std::string& region) {
    f.fold(domain::WorkerCreated{id, id, region, "m5.large", domain::WorkerStatus::pending, 1000},
           "c-" + id);
  }
  Response read(const SubscriberGrant* grant) {
    const Request req{boost::beast::http::verb::get, "/api/workers", 11};
    return routes.read(req, "", grant);
  }
};

SubscriberGrant grant_of(std::vector<std::string> regions) {
  auto allowed = service::SubscriptionFilter::grant({}, {}, std::move(regions));
  SubscriberGrant grant{std::get<service::SubscriptionFilter>(allowed), 0, {}};
  grant.canonical = grant.allowed.canonical();
  return grant;
}

}  // namespace

TEST_CASE("a grant's worker list: its rows only, one shared copy per grant and version") {
  Routes r;
  r.create("w-eu", "eu-west-1");
  r.create("w-us", "us-east-1");
  const auto eu = grant_of({"eu-west-1"});
  const auto us = grant_of({"us-east-1"});
  const auto first = r.read(&eu);
  CHECK(first.body().find("w-eu") != std::string_view::npos);
  CHECK(first.body().find("w-us") == std::string_view::npos);
  CHECK(r.read(&eu).body().shares_with(first.body()));  // same grant: the same bytes
  const auto other = r.read(&us);
  CHECK(other.body().find("w-us") != std::string_view::npos);
  CHECK_FALSE(other.body().shares_with(first.body()));
  CHECK(first[boost::beast::http::field::etag] != other[boost::beast::http::field::etag]);
  // The read model moves: a new copy, with the new row.
  r.create("w-eu-2", "eu-west-1");
  const auto after = r.read(&eu);
  CHECK_FALSE(after.body().shares_with(first.body()));
  CHECK(after.body().find("w-eu-2") != std::string_view::npos);
}
