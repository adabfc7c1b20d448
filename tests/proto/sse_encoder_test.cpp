#include "proto/sse_encoder.hpp"

#include <stdexcept>

#include <doctest/doctest.h>

using namespace relay::proto;

TEST_CASE("an event is id, event, data lines and a blank line") {
  CHECK(encode_event("1-0", "demo", R"({"a":1})") == "id: 1-0\nevent: demo\ndata: {\"a\":1}\n\n");
  CHECK(encode_event("", "heartbeat", "{}") == "event: heartbeat\ndata: {}\n\n");
}

TEST_CASE("data is split on LF, CRLF and CR so it cannot end the event or forge fields") {
  CHECK(encode_event("", "t", "a\nb") == "event: t\ndata: a\ndata: b\n\n");
  CHECK(encode_event("", "t", "a\r\nb") == "event: t\ndata: a\ndata: b\n\n");
  CHECK(encode_event("", "t", "a\rb") == "event: t\ndata: a\ndata: b\n\n");
  CHECK(encode_event("", "t", "a\n\nid: 666\nevent: evil\n") ==
        "event: t\ndata: a\ndata: \ndata: id: 666\ndata: event: evil\ndata: \n\n");
  CHECK(encode_event("", "t", "") == "event: t\ndata: \n\n");
  // One leading space is eaten by parsers after "data:", so ours is always written.
  CHECK(encode_event("", "t", " x") == "event: t\ndata:  x\n\n");
}

TEST_CASE("CR, LF or NUL in id or event is refused (CWE-93)") {
  CHECK_THROWS_AS(encode_event("1\n", "t", "x"), std::invalid_argument);
  CHECK_THROWS_AS(encode_event("1", "t\r", "x"), std::invalid_argument);
  CHECK_THROWS_AS(encode_event("1", std::string_view("t\0x", 3), "x"), std::invalid_argument);
  CHECK(is_safe_field_value("worker.status.updated"));
  CHECK_FALSE(is_safe_field_value("a\nb"));
}

TEST_CASE("retry and comments") {
  CHECK(encode_retry(3000) == "retry: 3000\n\n");
  CHECK(encode_comment("ok") == ": ok\n\n");
  CHECK(encode_comment("a\nb") == ": a\n: b\n\n");
  CHECK(encode_comment("a\r\nb") == ": a\n: b\n\n");
}
