#include "service/relay_error.hpp"

#include <string>

#include <doctest/doctest.h>

using namespace relay;

TEST_CASE("relay::error is an error_code enum with a named category") {
  boost::system::error_code ec = error::bus_unavailable;
  CHECK(ec.category().name() == std::string("sse-relay"));
  CHECK(ec.message() == "bus_unavailable");
  CHECK(to_error(domain::RefusalCode::invalid_transition) == error::invalid_transition);
  CHECK(to_error(domain::RefusalCode::unknown_worker) == error::unknown_worker);
  CHECK(to_string(error::too_many_subscribers) == "too_many_subscribers");
}
