#include "infra/redis/link_machine.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using relay::infra::LinkAction;
using relay::infra::LinkMachine;
using relay::infra::LinkTimings;
using Kind = LinkAction::Kind;

namespace {
const LinkMachine::time_point t0 = std::chrono::steady_clock::time_point{} + 1h;
}

TEST_CASE("link: connect at start; not ready until first connected; up means watch, no polling") {
  LinkMachine link(LinkTimings{2000ms, 100ms, 5000ms});
  CHECK(link.start().kind == Kind::connect);
  CHECK_FALSE(link.readiness(t0).ready);
  CHECK(link.readiness(t0).detail == "the Redis bus is not connected yet");
  CHECK(link.on_connected(t0).kind == Kind::watch);
  CHECK(link.readiness(t0).ready);
  CHECK(link.reconnects() == 0);  // the first connection is not a reconnect
}

TEST_CASE("link: backoff doubles with jitter between half and one and a half, capped, reset when up") {
  LinkMachine link(LinkTimings{2000ms, 100ms, 400ms});
  link.start();
  // random 0: the low end (half the backoff); random at the span's top: half plus the whole.
  auto a = link.on_connect_failed(0);
  CHECK(a.kind == Kind::wait);
  CHECK(a.delay == 50ms);
  CHECK(link.on_waited().kind == Kind::connect);
  CHECK(link.on_connect_failed(200).delay == 100ms + 200ms);  // backoff 200: 100 + 200 % 201
  CHECK(link.on_connect_failed(0).delay == 200ms);            // backoff 400
  CHECK(link.on_connect_failed(0).delay == 200ms);            // capped at 400
  link.on_connected(t0);
  CHECK(link.on_connect_failed(0).delay == 50ms);  // reset by the connection
}

TEST_CASE("link: a loss reconnects at once; /readyz waits the grace before it says unreachable") {
  LinkMachine link(LinkTimings{2000ms, 100ms, 5000ms});
  link.start();
  link.on_connected(t0);
  CHECK(link.on_lost(t0 + 10s).kind == Kind::connect);
  CHECK(link.readiness(t0 + 10s + 1999ms).ready);  // a blip: still in the balancer
  link.on_connect_failed(7);
  link.on_waited();
  // Failed attempts do not restart the grace: it counts from the loss.
  CHECK_FALSE(link.readiness(t0 + 12s).ready);
  CHECK(link.readiness(t0 + 12s).detail == "the Redis bus is unreachable");
  CHECK(link.on_connected(t0 + 13s).kind == Kind::watch);
  CHECK(link.readiness(t0 + 13s).ready);
  CHECK(link.reconnects() == 1);
}

TEST_CASE("link: closed stops every path") {
  LinkMachine link(LinkTimings{});
  link.start();
  CHECK(link.close().kind == Kind::stop);
  CHECK(link.on_connect_failed(1).kind == Kind::stop);
  CHECK(link.on_waited().kind == Kind::stop);
  CHECK(link.on_lost(t0).kind == Kind::stop);
  CHECK(link.on_connected(t0).kind == Kind::stop);
  CHECK(link.closed());
}
