#include "infra/config/config_loader.hpp"

#include <map>

#include <doctest/doctest.h>

using namespace relay::infra;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("defaults, environment, and flags over environment") {
  auto defaults = std::get<AppConfig>(load_config({}, env_of({}), "t"));
  CHECK(defaults.http.port == 8080);
  CHECK(defaults.http.host == "0.0.0.0");
  CHECK(defaults.relay.heartbeat == std::chrono::milliseconds(30000));
  CHECK(defaults.bus == "memory");

  auto cfg = std::get<AppConfig>(load_config({"--port", "9000", "--heartbeat-ms=250"},
                                             env_of({{"RELAY_PORT", "7000"},
                                                     {"RELAY_HISTORY", "42"},
                                                     {"RELAY_CORS_ORIGINS", "a, b"},
                                                     {"RELAY_PUBLISH_TOKEN", "s3cret"},
                                                     {"RELAY_MAX_PENDING_BYTES", "200000"}}),
                                             "t"));
  CHECK(cfg.http.port == 9000);
  CHECK(cfg.relay.heartbeat == std::chrono::milliseconds(250));
  CHECK(cfg.relay.history == 42);
  CHECK(cfg.http.cors_origins == std::vector<std::string>{"a", "b"});
  CHECK(cfg.http.publish_token == "s3cret");
  CHECK(cfg.relay.max_pending_bytes == 200000);
}

TEST_CASE("bad values are one-line errors with exit code 2 naming the option") {
  auto bad = [](std::vector<std::string> args, std::map<std::string, std::string> env) {
    auto r = load_config(args, env_of(env), "t");
    REQUIRE(std::holds_alternative<ConfigExit>(r));
    auto e = std::get<ConfigExit>(r);
    CHECK(e.exit_code == 2);
    CHECK(e.message.find('\n') == std::string::npos);
    return e.message;
  };
  CHECK(bad({"--port", "http"}, {}).starts_with("--port: expected an integer"));
  CHECK(bad({}, {{"RELAY_PORT", "70000"}}).starts_with("RELAY_PORT:"));
  CHECK(bad({}, {{"RELAY_HEARTBEAT_MS", "99"}}).starts_with("RELAY_HEARTBEAT_MS:"));
  CHECK(bad({"--nope"}, {}).find("unknown option") != std::string::npos);
  CHECK(bad({"--port"}, {}).find("missing value") != std::string::npos);
  CHECK(bad({"--bus", "kafka://x"}, {}).starts_with("--bus:"));
  CHECK(bad({"--log-level", "loud"}, {}).starts_with("--log-level:"));
  CHECK(bad({"--max-pending-bytes", "8192"}, {}).find("at least twice") != std::string::npos);
  CHECK(bad({"--history-bytes", "65536"}, {}).find("RELAY_HISTORY_BYTES") != std::string::npos);
  CHECK(bad({}, {{"RELAY_HISTORY_BYTES", "12"}}).starts_with("RELAY_HISTORY_BYTES:"));
}

TEST_CASE("--help lists every option with its variable and default") {
  auto r = std::get<ConfigExit>(load_config({"--help"}, env_of({}), "1.2.3"));
  CHECK(r.exit_code == 0);
  for (const char* needle :
       {"--port", "RELAY_PORT", "(default: 8080)", "RELAY_HEARTBEAT_MS", "RELAY_HISTORY",
        "RELAY_MAX_CLIENTS", "RELAY_MAX_PENDING_BYTES", "RELAY_SHUTDOWN_GRACE_MS",
        "RELAY_PUBLISH_TOKEN", "RELAY_HOST", "RELAY_CORS_ORIGINS", "RELAY_BUS", "RELAY_JWT_SECRET",
        "RELAY_JWT_PUBLIC_KEY_FILE", "RELAY_JWT_ALGORITHMS", "RELAY_JWT_ISSUER", "RELAY_JWT_AUDIENCE",
        "RELAY_JWT_LEEWAY_S", "RELAY_JWT_COOKIE", "RELAY_JWT_QUERY_PARAM", "1.2.3"}) {
    CAPTURE(needle);
    CHECK(r.message.find(needle) != std::string::npos);
  }
}

TEST_CASE("the limits of DESIGN 8: per-address streams and publish rate off by default") {
  auto defaults = std::get<AppConfig>(load_config({}, env_of({}), "t"));
  CHECK(defaults.http.max_clients_per_ip == 0);
  CHECK(defaults.http.publish_rate == 0);
  CHECK(defaults.http.trusted_proxies.empty());
  CHECK(defaults.http.idle_timeout == std::chrono::milliseconds(60000));
  CHECK(defaults.http.max_header_bytes == 16384);
  auto cfg = std::get<AppConfig>(
      load_config({"--max-clients-per-ip", "4"},
                  env_of({{"RELAY_PUBLISH_RATE", "50"},
                          {"RELAY_PUBLISH_BURST", "200"},
                          {"RELAY_TRUSTED_PROXIES", "10.0.0.0/8, ::1"},
                          {"RELAY_IDLE_TIMEOUT_MS", "5000"},
                          {"RELAY_MAX_HEADER_BYTES", "8192"}}),
                  "t"));
  CHECK(cfg.http.max_clients_per_ip == 4);
  CHECK(cfg.http.publish_rate == 50);
  CHECK(cfg.http.publish_burst == 200);
  CHECK(cfg.http.trusted_proxies.contains(boost::asio::ip::make_address("10.9.8.7")));
  CHECK(cfg.http.trusted_proxies.contains(boost::asio::ip::make_address("::1")));
  CHECK(cfg.http.idle_timeout == std::chrono::milliseconds(5000));
  CHECK(cfg.http.max_header_bytes == 8192);
  auto bad = std::get<ConfigExit>(
      load_config({}, env_of({{"RELAY_TRUSTED_PROXIES", "10.0.0.1, lb.internal"}}), "t"));
  CHECK(bad.exit_code == 2);
  CHECK(bad.message == "RELAY_TRUSTED_PROXIES: 'lb.internal' is not an IP address or network");
  // A head larger than Beast can hold one field of is refused at start, not met at run time.
  auto huge = std::get<ConfigExit>(load_config({}, env_of({{"RELAY_MAX_HEADER_BYTES", "65536"}}), "t"));
  CHECK(huge.message == "RELAY_MAX_HEADER_BYTES: expected an integer from 1024 to 65535, got '65536'");
}

TEST_CASE("RELAY_JWT_*: off by default; a secret or a key file turns it on; bad settings stop the start") {
  CHECK_FALSE(std::get<AppConfig>(load_config({}, env_of({}), "t")).http.auth.enabled());
  auto on = std::get<AppConfig>(load_config(
      {"--jwt-cookie", "session"},
      env_of({{"RELAY_JWT_SECRET", std::string(32, 'k')}, {"RELAY_JWT_LEEWAY_S", "5"},
              {"RELAY_JWT_QUERY_PARAM", "access_token"}}),
      "t"));
  CHECK(on.http.auth.enabled());
  CHECK(on.http.auth.cookie == "session");
  CHECK(on.http.auth.query_param == "access_token");
  CHECK(on.http.auth.verifier->leeway() == std::chrono::seconds(5));
  auto error = [](std::map<std::string, std::string> vars) {
    auto r = load_config({}, env_of(std::move(vars)), "t");
    REQUIRE(std::holds_alternative<ConfigExit>(r));
    CHECK(std::get<ConfigExit>(r).exit_code == 2);
    return std::get<ConfigExit>(r).message;
  };
  CHECK(error({{"RELAY_JWT_SECRET", "short"}}) ==
        "RELAY_JWT_SECRET must be at least 32 bytes (RFC 7518 3.2)");
  CHECK(error({{"RELAY_JWT_ALGORITHMS", "RS256"}}) ==
        "RELAY_JWT_ALGORITHMS is set but none of RELAY_JWT_SECRET, RELAY_JWT_PUBLIC_KEY_FILE and "
        "RELAY_JWT_JWKS_FILE is");
  CHECK(error({{"RELAY_JWT_JWKS_FILE", "/nonexistent/keys.json"}}) ==
        "RELAY_JWT_JWKS_FILE: cannot read '/nonexistent/keys.json'");
  CHECK(error({{"RELAY_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"}}) ==
        "RELAY_JWT_PUBLIC_KEY_FILE: cannot read '/nonexistent/key.pem'");
  CHECK(error({{"RELAY_JWT_SECRET", std::string(32, 'k')}, {"RELAY_JWT_ALGORITHMS", "HS256,none"}})
            .find("'none' is not one of") != std::string::npos);
}

TEST_CASE("RELAY_BUS: memory, or a redis:// URL with credentials and a database") {
  auto cfg = std::get<AppConfig>(load_config(
      {}, env_of({{"RELAY_BUS", "redis://relay:s%40cret@10.0.0.7:6380/2"},
                  {"RELAY_BUS_STREAM", "fleet:events"}, {"RELAY_BUS_MAXLEN", "50000"}}),
      "t"));
  REQUIRE(cfg.redis_bus);
  CHECK(cfg.redis.host == "10.0.0.7");
  CHECK(cfg.redis.port == 6380);
  CHECK(cfg.redis.user == "relay");
  CHECK(cfg.redis.password == "s@cret");
  CHECK(cfg.redis.database == 2);
  CHECK(cfg.redis.stream == "fleet:events");
  CHECK(cfg.redis.max_length == 50000);
  auto plain = std::get<AppConfig>(load_config({"--bus", "redis://localhost"}, env_of({}), "t"));
  REQUIRE(plain.redis_bus);
  CHECK(plain.redis.port == 6379);
  CHECK(plain.redis.password.empty());
  CHECK_FALSE(std::get<AppConfig>(load_config({}, env_of({}), "t")).redis_bus);
  auto bad = std::get<ConfigExit>(load_config({"--bus", "redis://h/x1"}, env_of({}), "t"));
  CHECK(bad.message == "--bus: 'x1' is not a database number");
}
