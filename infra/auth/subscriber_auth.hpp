#pragma once
// Who may read what (DESIGN 8): the token of a stream or read-model request, from
// `Authorization: Bearer`, else the cookie (an EventSource cannot set headers), else the
// query parameter when one is configured; verified, and turned into the grant the
// subscription and the read model filter by. Answers 401 (with WWW-Authenticate) when the
// token is missing or refused and 403 when a request asks for more than its grant.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "infra/http/http_types.hpp"
#include "infra/auth/jwt_verifier.hpp"
#include "service/clock.hpp"
#include "service/subscription_filter.hpp"

namespace relay::infra {

/// How subscribers authenticate; `verifier` null = no JWT configured (open, as before).
struct SubscriberAuthConfig {
  std::shared_ptr<const JwtVerifier> verifier;
  std::string cookie = "sse_relay_token";  ///< RELAY_JWT_COOKIE
  std::string query_param;                 ///< RELAY_JWT_QUERY_PARAM; empty: off
  /// The scope a token needs to publish (POST) in place of RELAY_PUBLISH_TOKEN.
  static constexpr std::string_view publish_scope = "sse:publish";

  [[nodiscard]] bool enabled() const { return verifier != nullptr; }
};

/// What one verified token allows.
struct SubscriberGrant {
  service::SubscriptionFilter allowed;
  std::int64_t expires_unix_ms = 0;  ///< exp plus the leeway: when the token stops being accepted
  std::string canonical;             ///< allowed.canonical(): part of the read model's ETag
  std::string subject;               ///< The token's `sub` (an operator revokes by it)
};

/// exp plus the leeway, in milliseconds: when a token stops being accepted. Saturates at the
/// largest time for an exp (a signed 64-bit NumericDate) too far out to count in ms.
std::int64_t token_expiry_unix_ms(std::int64_t exp_s, std::int64_t leeway_s);

/// The grant of `req`'s token, nullopt when authentication is off, or the 401 to answer.
/// `now_ms`: wall-clock time (tokens carry wall-clock times).
std::variant<std::optional<SubscriberGrant>, Response> authorize(const Request& req,
                                                                 const SubscriberAuthConfig& auth,
                                                                 std::int64_t now_ms);

/// authorize() at `clock`'s time: what every route that reads the token calls.
inline std::variant<std::optional<SubscriberGrant>, Response> authorize(
    const Request& req, const SubscriberAuthConfig& auth, const service::Clock& clock) {
  return authorize(req, auth, static_cast<std::int64_t>(clock.now_unix_ms()));
}

/// 403 for a request that asks for more than its grant (`detail` says what).
Response forbidden(const Request& req, const std::string& detail);

/// What follows "Bearer " (scheme case-insensitive) in Authorization; nullopt without one.
std::optional<std::string_view> bearer_token(const Request& req);

/// The request's token: Bearer header, else cookie, else the configured query parameter.
std::optional<std::string> find_token(const Request& req, const SubscriberAuthConfig& auth);

}  // namespace relay::infra
