// The one admission decision for a stream, without HTTP: each refusal in its order (grant,
// catching up, address, draining or full), what an admitted stream carries, and that a
// refusal takes nothing (no address place, no subscriber).
#include "service/stream_admission.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <doctest/doctest.h>

#include "../support/idle_event_log.hpp"
#include "../support/relay_fixture.hpp"

using namespace relay;
using service::StreamRefusal;

namespace {

service::SubscriptionFilter filter_of(std::vector<std::string> types,
                                      std::vector<std::string> workers = {}) {
  return std::get<service::SubscriptionFilter>(
      service::SubscriptionFilter::parse(std::move(types), std::move(workers)));
}

struct AdmissionFixture : test::RelayFixture {
  test::IdleEventLog log;
  service::AddressQuota quota{2};
  service::StreamAdmission admission{*relay, log, quota};

  std::variant<service::AdmittedStream, StreamRefusal> ask(std::string client = "10.0.0.1") {
    return admission.admit({filter_of({}), nullptr, std::nullopt, std::nullopt, std::move(client)});
  }
};

StreamRefusal refusal(std::variant<service::AdmittedStream, StreamRefusal> answer) {
  REQUIRE(std::holds_alternative<StreamRefusal>(answer));
  return std::get<StreamRefusal>(std::move(answer));
}

}  // namespace

TEST_CASE("admitted: the subscription and its address's place, counted until the stream ends") {
  AdmissionFixture fx;
  auto answer = fx.ask();
  REQUIRE(std::holds_alternative<service::AdmittedStream>(answer));
  auto& admitted = std::get<service::AdmittedStream>(answer);
  CHECK(admitted.subscription != nullptr);
  CHECK(fx.quota.held("10.0.0.1") == 1);
  CHECK(fx.relay->stats().subscriptions_total == 0);  // counted when it joins the fan-out
  admitted.slot = {};
  CHECK(fx.quota.held("10.0.0.1") == 0);
}

TEST_CASE(
    "a filter wider than the grant is refused as outside_grant, naming what; a narrower one "
    "passes narrowed") {
  AdmissionFixture fx;
  const auto allowed = filter_of({"worker.*"}, {"w-1"});
  auto wide = fx.admission.admit(
      {filter_of({}, {"w-2"}), &allowed, std::nullopt, std::nullopt, "10.0.0.1"});
  const auto why = refusal(std::move(wide));
  CHECK(why.reason == error::outside_grant);
  CHECK(why.detail.find("w-2") != std::string::npos);
  CHECK(fx.quota.held("10.0.0.1") == 0);  // a refusal holds no place
  auto narrow = fx.admission.admit(
      {filter_of({"worker.created"}), &allowed, std::int64_t{1}, std::nullopt, "10.0.0.1"});
  CHECK(std::holds_alternative<service::AdmittedStream>(narrow));
}

TEST_CASE("a replica still building its state admits nobody: catching_up, before the address") {
  AdmissionFixture fx;
  fx.log.state.positioned = false;
  CHECK(refusal(fx.ask()).reason == error::catching_up);
  CHECK(fx.quota.held("10.0.0.1") == 0);
  fx.log.state.positioned = true;
  CHECK(std::holds_alternative<service::AdmittedStream>(fx.ask()));
}

TEST_CASE(
    "RELAY_MAX_CLIENTS_PER_IP: the third stream of one address is refused with the limit "
    "named; another address is not") {
  AdmissionFixture fx;
  auto a = fx.ask();
  auto b = fx.ask();
  REQUIRE(std::holds_alternative<service::AdmittedStream>(a));
  REQUIRE(std::holds_alternative<service::AdmittedStream>(b));
  const auto why = refusal(fx.ask());
  CHECK(why.reason == error::too_many_subscribers);
  CHECK(why.detail.find("2 streams") != std::string::npos);
  CHECK(why.detail.find("RELAY_MAX_CLIENTS_PER_IP") != std::string::npos);
  CHECK(std::holds_alternative<service::AdmittedStream>(fx.ask("10.0.0.2")));
}

TEST_CASE("draining and a full relay refuse after the address check, and give its place back") {
  AdmissionFixture fx;
  fx.reconfigure([](auto& c) { c.max_clients = 1; });
  service::StreamAdmission admission{*fx.relay, fx.log, fx.quota};
  auto ask = [&](std::string client) {
    return admission.admit({filter_of({}), nullptr, std::nullopt, std::nullopt, std::move(client)});
  };
  auto first = ask("10.0.0.1");
  REQUIRE(std::holds_alternative<service::AdmittedStream>(first));
  test::RecordingSink sink;
  sink.fanout = &fx.relay->fanout();
  auto& admitted = std::get<service::AdmittedStream>(first);
  sink.sub = admitted.subscription.get();
  fx.relay->fanout().join(std::move(admitted.subscription), sink);
  CHECK(refusal(ask("10.0.0.3")).reason == error::too_many_subscribers);
  CHECK(fx.quota.held("10.0.0.3") == 0);
  boost::asio::co_spawn(fx.io, fx.relay->stop(), boost::asio::detached);
  fx.io.poll();
  REQUIRE(fx.relay->stopping());
  CHECK(refusal(ask("10.0.0.4")).reason == error::draining);
  CHECK(fx.quota.held("10.0.0.4") == 0);
}
