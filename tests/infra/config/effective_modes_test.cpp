#include "infra/config/effective_modes.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include "infra/config/config_loader.hpp"

using namespace relay::infra;

namespace {
AppConfig modes_config(std::vector<std::string> args) {
  auto loaded = load_config(args, [](const std::string&) { return std::nullopt; }, "0.0.0-test");
  REQUIRE(std::holds_alternative<AppConfig>(loaded));
  return std::get<AppConfig>(loaded);
}
}  // namespace

TEST_CASE("effective modes: what runs, as one object, and never the Redis password") {
  const auto config = modes_config({"--bus", "redis://ops:hunter2@10.1.2.3:6380/2", "--publish-token",
                                    "p", "--cors-origins", "https://a.test,https://b.test",
                                    "--admin-port", "9090", "--admin-token", "t"});
  const auto json = effective_modes_json(config);
  CHECK(json.find("hunter2") == std::string::npos);
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  REQUIRE_FALSE(doc.error());
  CHECK(std::string_view(doc["log"].get_string().value()) ==
        "redis 10.1.2.3:6380 db 2 stream sse-relay:events");
  CHECK(std::string_view(doc["producer_auth"].get_string().value()) == "token");
  CHECK(std::string_view(doc["subscriber_auth"].get_string().value()) == "none");
  CHECK(std::string_view(doc["cors"].get_string().value()) == "https://a.test,https://b.test");
  CHECK(std::string_view(doc["bind"].get_string().value()) == "0.0.0.0:8080");
  CHECK(std::string_view(doc["admin"].get_string().value()) == "127.0.0.1:9090 (token)");
  CHECK(doc["limits"]["max_clients"].get_uint64().value() == 10000);
  CHECK(configuration_warnings(config).empty());
}

TEST_CASE("warnings: open publishing beyond loopback, an open admin listener beyond loopback") {
  CHECK(configuration_warnings(modes_config({"--host", "127.0.0.1"})).empty());
  const auto open = configuration_warnings(modes_config({}));
  REQUIRE(open.size() == 1);
  CHECK(open[0].find("publishing is open") == 0);
  CHECK(open[0].find("0.0.0.0:8080") != std::string::npos);
  const auto admin = configuration_warnings(
      modes_config({"--host", "::1", "--admin-port", "9090", "--admin-host", "0.0.0.0"}));
  REQUIRE(admin.size() == 1);
  CHECK(admin[0].find("RELAY_ADMIN_TOKEN") != std::string::npos);
  CHECK(is_loopback_host("127.0.0.53"));
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
}

TEST_CASE("RELAY_ADMIN_PORT may not be the public port") {
  auto loaded = load_config({"--port", "8080", "--admin-port", "8080"},
                            [](const std::string&) { return std::nullopt; }, "0");
  REQUIRE(std::holds_alternative<ConfigExit>(loaded));
  CHECK(std::get<ConfigExit>(loaded).message.find("RELAY_ADMIN_PORT") != std::string::npos);
}
