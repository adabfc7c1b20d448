#include "infra/config/effective_modes.hpp"

#include <fmt/format.h>

#include "proto/json_writer.hpp"

namespace relay::infra {

namespace {

std::string bind_text(std::string_view host, std::uint16_t port) {
  return host.find(':') != std::string_view::npos ? fmt::format("[{}]:{}", host, port)
                                                  : fmt::format("{}:{}", host, port);
}

std::string subscriber_auth(const AppConfig& config) {
  if (!config.http.jwt.enabled()) return "none";
  if (config.http.jwt.jwks) return "jwt (jwks file)";
  return config.http.jwt.secret.empty() ? "jwt (public key)" : "jwt (shared secret)";
}

std::string producer_auth(const AppConfig& config) {
  const bool token = !config.http.publish_token.empty();
  const bool jwt = config.http.jwt.enabled();
  if (token && jwt) return "token or jwt with sse:publish";
  if (token) return "token";
  if (jwt) return "jwt with sse:publish";
  return "none";
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

std::string effective_modes_json(const AppConfig& config) {
  std::string log;
  if (config.redis_bus) {
    // The address and stream only: the URL may carry a password.
    log = fmt::format("redis {} db {} stream {}", bind_text(config.redis.host, config.redis.port),
                      config.redis.database, config.redis.stream);
  } else {
    log = "memory";
  }
  std::string cors;
  for (const auto& origin : config.http.cors_origins) {
    if (!cors.empty()) cors += ',';
    cors += origin;
  }
  std::string admin;
  if (config.http.admin.own_listener()) {
    admin = bind_text(config.http.admin.host, *config.http.admin.port) +
            (config.http.admin.token.empty() ? " (no token)" : " (token)");
  } else {
    admin = config.http.admin.token.empty() ? "on the public port; admin routes off"
                                       : "on the public port (token)";
  }
  std::string out;
  proto::JsonObjectWriter w(out);
  w.string("log", log)
      .string("subscriber_auth", subscriber_auth(config))
      .string("producer_auth", producer_auth(config))
      .string("cors", cors.empty() ? "off" : cors)
      .string("bind", bind_text(config.http.host, config.http.port))
      .string("admin", admin)
      .string("trusted_proxies", config.http.trusted_proxies.empty() ? "none" : "set");
  std::string limits;
  proto::JsonObjectWriter l(limits);
  l.unsigned_number("max_clients", config.relay.max_clients)
      .unsigned_number("max_clients_per_ip", config.http.max_clients_per_ip)
      .unsigned_number("max_body_bytes", config.http.max_body_bytes)
      .unsigned_number("max_header_bytes", config.http.max_header_bytes)
      .unsigned_number("max_pending_bytes", config.relay.max_pending_bytes)
      .unsigned_number("publish_rate", static_cast<std::uint64_t>(config.http.publish_rate))
      .unsigned_number("history", config.relay.history)
      .unsigned_number("heartbeat_ms", static_cast<std::uint64_t>(config.relay.heartbeat.count()));
  l.close();
  w.raw("limits", limits);
  w.close();
  return out;
}

std::vector<std::string> configuration_warnings(const AppConfig& config) {
  std::vector<std::string> warnings;
  if (config.http.publish_token.empty() && !config.http.jwt.enabled() &&
      !is_loopback_host(config.http.host)) {
    warnings.push_back(fmt::format(
        "publishing is open: anyone who reaches {} can POST events; set RELAY_PUBLISH_TOKEN "
        "(or RELAY_JWT_* with the sse:publish scope), or bind RELAY_HOST to loopback",
        bind_text(config.http.host, config.http.port)));
  }
  if (config.http.admin.own_listener() && config.http.admin.token.empty() &&
      !is_loopback_host(config.http.admin.host)) {
    warnings.push_back(fmt::format(
        "the admin listener on {} has no RELAY_ADMIN_TOKEN: anyone who reaches it can list and "
        "close streams; keep it on a private network or set the token",
        bind_text(config.http.admin.host, *config.http.admin.port)));
  }
  return warnings;
}

}  // namespace relay::infra
