// RELAY_BUS as an operator writes it: `memory`, or a redis:// URL whose every part lands in
// the right field (credentials percent-decoded), and a sentence for each kind of mistake.
#include "infra/redis/bus_url.hpp"

#include <doctest/doctest.h>

using relay::infra::parse_bus_url;
using relay::infra::RedisBusConfig;

namespace {

RedisBusConfig redis_of(std::string_view url) {
  auto parsed = parse_bus_url(url);
  REQUIRE(std::holds_alternative<std::optional<RedisBusConfig>>(parsed));
  auto config = std::get<std::optional<RedisBusConfig>>(parsed);
  REQUIRE(config);
  return *config;
}

std::string mistake(std::string_view url) {
  auto parsed = parse_bus_url(url);
  REQUIRE(std::holds_alternative<std::string>(parsed));
  return std::get<std::string>(parsed);
}

}  // namespace

TEST_CASE("memory is the embedded log; a redis:// URL fills address, credentials and database") {
  auto memory = parse_bus_url("memory");
  REQUIRE(std::holds_alternative<std::optional<RedisBusConfig>>(memory));
  CHECK_FALSE(std::get<std::optional<RedisBusConfig>>(memory));

  const auto plain = redis_of("redis://cache.internal");
  CHECK(plain.host == "cache.internal");
  CHECK(plain.port == 6379);
  CHECK(plain.user.empty());
  CHECK(plain.password.empty());
  CHECK(plain.database == 0);
  CHECK(plain.stream == RedisBusConfig{}.stream);  // the URL sets no stream

  const auto full = redis_of("redis://relay:p%40ss%3Aword@10.0.0.7:6380/3");
  CHECK(full.host == "10.0.0.7");
  CHECK(full.port == 6380);
  CHECK(full.user == "relay");
  CHECK(full.password == "p@ss:word");
  CHECK(full.database == 3);

  const auto password_only = redis_of("redis://:secret@h/");
  CHECK(password_only.user.empty());
  CHECK(password_only.password == "secret");
  CHECK(password_only.database == 0);
}

TEST_CASE("each mistake is named") {
  for (const char* wrong : {"redis", "rediss://h", "http://h:6379", "mem", ""}) {
    CAPTURE(wrong);
    CHECK(mistake(wrong) == "expected 'memory' or redis://[user:pass@]host[:port][/db]");
  }
  CHECK(mistake("redis://:6379") == "the redis:// URL names no host");
  CHECK(mistake("redis://h:0") == "'0' is not a port");
  CHECK(mistake("redis://h/x1") == "'x1' is not a database number");
  CHECK(mistake("redis://h/1/2") == "'1/2' is not a database number");
}
