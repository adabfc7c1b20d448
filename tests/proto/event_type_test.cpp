// What a producer may name an event: the characters an `event:` line can carry safely, a
// bounded length, and none of the relay's own types.
#include "proto/event_type.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

using relay::proto::event_type_error;

TEST_CASE("names of letters, digits and . _ - : up to 128 characters are accepted") {
  for (const char* ok : {"demo.hello", "lab_progress", "worker:metrics-v2", "A1", "x"}) {
    CAPTURE(ok);
    CHECK_FALSE(event_type_error(ok));
  }
  CHECK_FALSE(event_type_error(std::string(128, 'a')));
  CHECK(*event_type_error(std::string(129, 'a')) == "must be at most 128 characters");
  CHECK(*event_type_error("") == "must not be empty");
}

TEST_CASE("a character that could break or forge an SSE line is refused") {
  const std::vector<std::string> forged{
      "a b", "a\nb",      "a\rb", std::string("a\0b", 3),
      "a/b", "événement", "a\tb", "data:x\n\nevent: system.sse.shutdown"};
  for (const auto& bad : forged) {
    CAPTURE(bad);
    const auto why = event_type_error(bad);
    REQUIRE(why);
    CHECK(why->find("only letters, digits") != std::string::npos);
  }
}

TEST_CASE("the relay's own types are reserved; names that only start alike are not") {
  for (const char* reserved : {"connected", "heartbeat", "system.sse.resync", "system.x"}) {
    CAPTURE(reserved);
    const auto why = event_type_error(reserved);
    REQUIRE(why);
    CHECK(why->find("reserved") != std::string::npos);
  }
  for (const char* fine : {"connected.user", "heartbeats", "systems", "system"}) {
    CAPTURE(fine);
    CHECK_FALSE(event_type_error(fine));
  }
}
