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
  CHECK(link.readiness(t0 + 12s).detail ==
        "the Redis bus is unreachable (last error: no answer)");
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

TEST_CASE("link: a failing connect is reported once per spell, readiness names the address and error") {
  LinkMachine link(LinkTimings{2000ms, 100ms, 5000ms}, "10.0.0.7:6379");
  link.start();
  CHECK(link.on_connect_failed(0, "Connection refused").report);  // the spell's first
  link.on_waited();
  CHECK_FALSE(link.on_connect_failed(0, "Connection timed out").report);  // not once per retry
  CHECK(link.failures_in_spell() == 2);
  CHECK(link.readiness(t0).detail ==
        "the Redis bus at 10.0.0.7:6379 is not connected yet (last error: Connection timed out)");
  link.on_waited();
  CHECK(link.on_connected(t0).report);  // the spell is over: said once
  CHECK(link.failures_in_spell() == 0);
  // A loss, then a refused reconnect: a new spell, reported again.
  link.on_lost(t0);
  CHECK(link.on_connect_failed(0, "Connection refused").report);
  CHECK(link.readiness(t0 + 2s).detail ==
        "the Redis bus at 10.0.0.7:6379 is unreachable (last error: Connection refused)");
  link.on_waited();
  CHECK(link.on_connected(t0 + 3s).report);
  CHECK_FALSE(link.on_lost(t0 + 4s).report);  // reconnecting at once is not a failure yet
}
