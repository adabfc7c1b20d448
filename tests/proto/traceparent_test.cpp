#include "proto/traceparent.hpp"

#include <doctest/doctest.h>

using namespace relay::proto;

namespace {
constexpr const char* good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
}

TEST_CASE("traceparent: a version-00 header gives its ids and flags, and formats back") {
  auto c = parse_traceparent(good);
  REQUIRE(c);
  CHECK(to_hex(c->trace_id) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(to_hex(c->span_id) == "b7ad6b7169203331");
  CHECK(c->sampled());
  CHECK(format_traceparent(*c) == good);
  auto unsampled = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  REQUIRE(unsampled);
  CHECK_FALSE(unsampled->sampled());
}

TEST_CASE("traceparent: a later version is read by its first four fields, as the spec says") {
  auto c = parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra");
  REQUIRE(c);
  CHECK(format_traceparent(*c) == good);  // passed on as the version we speak
  CHECK(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  // ...but not when the fourth field runs on without a separator.
  CHECK_FALSE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x"));
}

TEST_CASE("traceparent: every malformed header is ignored") {
  for (std::string_view bad : {"", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
                               "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
                               "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                               "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
                               "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                               "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                               "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
                               "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                               "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_traceparent(bad));
  }
}

TEST_CASE("tracestate: passed on only when every member is well formed") {
  CHECK(is_valid_tracestate("vendor=abc"));
  CHECK(is_valid_tracestate("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"));
  CHECK(is_valid_tracestate("tenant@system=x,a-b_c*d/e=1"));
  CHECK(is_valid_tracestate("a=1,,b=2"));  // empty members are allowed
  // (White space around a member is list syntax, not part of the value.)
  CHECK(is_valid_tracestate("a=spaced , b=2 "));
  for (std::string_view bad :
       {"", "novalue", "=x", "Upper=x", "a=b=c", "a=1,b", "@sys=x", "tenant@=x"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_valid_tracestate(bad));
  }
  std::string many;
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=v,";
  CHECK_FALSE(is_valid_tracestate(many));                          // more than 32 members
  CHECK_FALSE(is_valid_tracestate("k=" + std::string(511, 'v')));  // longer than 512
}
