#include "domain/event_id.hpp"

#include <doctest/doctest.h>

using relay::domain::EventId;
using relay::domain::EventIdGenerator;

TEST_CASE("event ids print and parse in the Redis stream id form") {
  CHECK(EventId{1700000000123, 7}.to_string() == "1700000000123-7");
  CHECK(EventId::parse("1700000000123-7") == EventId{1700000000123, 7});
  CHECK(EventId::parse("0-0") == EventId{0, 0});
  CHECK(EventId::parse("18446744073709551615-1") == EventId{18446744073709551615ULL, 1});
}

TEST_CASE("malformed event ids are refused, not guessed") {
  for (const char* bad : {"", "-", "1-", "-1", "12", "1-2-3", "a-1", "1-b", "+1-2", " 1-2", "1-2 ",
                          "18446744073709551616-0", "1-99999999999999999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(EventId::parse(bad).has_value());
  }
}

TEST_CASE("ids order by milliseconds then sequence") {
  CHECK(EventId{5, 9} < EventId{6, 0});
  CHECK(EventId{6, 0} < EventId{6, 1});
}

TEST_CASE("the generator is strictly increasing even when the clock stalls or steps back") {
  EventIdGenerator ids;
  CHECK(ids.next(100) == EventId{100, 0});
  CHECK(ids.next(100) == EventId{100, 1});
  CHECK(ids.next(99) == EventId{100, 2});  // clock stepped back: keep ms, bump seq
  CHECK(ids.next(101) == EventId{101, 0});
  ids.resume_after(EventId{500, 3});
  CHECK(ids.next(200) == EventId{500, 4});
}
