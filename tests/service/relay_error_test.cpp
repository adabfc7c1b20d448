#include "service/relay_error.hpp"

#include <string>

#include <doctest/doctest.h>

using namespace relay;

TEST_CASE("relay::error is an error_code enum with a named category") {
  boost::system::error_code ec = error::bus_unavailable;
  CHECK(ec.category().name() == std::string("sse-relay"));
  // The message reaches problem details and logs: words, never the enum's name.
  CHECK(ec.message() == "the event log is unavailable");
  CHECK(to_error(domain::RefusalCode::invalid_transition) == error::invalid_transition);
  CHECK(to_error(domain::RefusalCode::unknown_worker) == error::unknown_worker);
  CHECK(to_string(error::too_many_subscribers) == "too_many_subscribers");
}
