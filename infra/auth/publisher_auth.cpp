#include "infra/auth/publisher_auth.hpp"

#include <algorithm>

#include <boost/beast/http/field.hpp>

#include <fmt/format.h>

#include "infra/auth/same_secret.hpp"
#include "infra/auth/subscriber_auth.hpp"
#include "infra/http/http_responses.hpp"

namespace relay::infra {

namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

std::optional<Response> PublisherAuth::check(const Request& req) const {
  auto identified = identify(req, {});
  if (auto* refused = std::get_if<Response>(&identified)) return std::move(*refused);
  return std::nullopt;
}

std::variant<std::string, Response> PublisherAuth::identify(const Request& req,
                                                            std::string_view client) const {
  const auto by_address = fmt::format("address {}", client);
  const bool static_token = !config_.publish_token.empty();
  if (!static_token && !config_.auth.enabled()) return by_address;
  const auto given = bearer_token(req);
  const bool bearer = given.has_value();
  const auto token = given.value_or(std::string_view{});
  // The static token is one producer, wherever its holders connect from.
  if (static_token && bearer && same_secret(token, config_.publish_token)) {
    return std::string("publish token");
  }
  std::string detail = bearer ? "the bearer token is not valid"
                              : "this relay requires Authorization: Bearer <token> to publish";
  if (config_.auth.enabled() && bearer) {
    auto verified = config_.auth.verifier->verify(
        token, static_cast<std::int64_t>(clock_.now_unix_ms() / 1000));
    if (const auto* claims = std::get_if<proto::JwtClaims>(&verified)) {
      const auto& scopes = claims->scopes;
      if (std::find(scopes.begin(), scopes.end(), SubscriberAuthConfig::publish_scope) !=
          scopes.end()) {
        // Its subject, verified with the signature; a token without one is its address.
        return claims->sub.empty() ? by_address : fmt::format("subject {}", claims->sub);
      }
      return forbidden(req, fmt::format("the token lacks the {} scope needed to publish",
                                        SubscriberAuthConfig::publish_scope));
    }
    // A static token that did not match is also "not a JWT": say what a JWT would need.
    if (!static_token) detail = std::get<JwtRejection>(verified).detail;
  }
  auto res = problem_response(req, {401, ptype::unauthorized, "Unauthorized", detail, ""});
  res.set(http::field::www_authenticate, bearer
                                             ? R"(Bearer realm="sse-relay", error="invalid_token")"
                                             : R"(Bearer realm="sse-relay")");
  return res;
}

}  // namespace relay::infra
