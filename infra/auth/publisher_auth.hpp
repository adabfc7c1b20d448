#pragma once
// Who may publish (DESIGN 8), beside subscriber_auth: the static RELAY_PUBLISH_TOKEN or a JWT
// with the publish scope, and which producer a request counts as for RELAY_PUBLISH_RATE.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "infra/config/app_config.hpp"
#include "infra/http/http_types.hpp"
#include "service/clock.hpp"

namespace relay::infra {

class PublisherAuth {
 public:
  PublisherAuth(const HttpConfig& config, const service::Clock& clock)
      : config_(config), clock_(clock) {}

  /// 401 problem unless the request's Bearer token is RELAY_PUBLISH_TOKEN (compared in the
  /// same time wherever the first difference is) or a JWT with the publish scope; 403 for a
  /// valid JWT without it. Nothing is asked when neither is configured.
  [[nodiscard]] std::optional<Response> check(const Request& req) const;

  /// The producer a request is counted as for RELAY_PUBLISH_RATE, or the refusal of check().
  /// Only a verified identity names a producer (the static token, a publish JWT's `sub`);
  /// anything else is its address `client`, so a made-up Authorization header cannot open a
  /// fresh bucket per request.
  [[nodiscard]] std::variant<std::string, Response> identify(const Request& req,
                                                             std::string_view client) const;

 private:
  const HttpConfig& config_;
  const service::Clock& clock_;
};

}  // namespace relay::infra
