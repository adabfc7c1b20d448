#include "infra/auth/subscriber_auth.hpp"

#include <limits>

#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>

#include <fmt/format.h>

#include "infra/http/error_responses.hpp"
#include "infra/http/http_responses.hpp"

namespace relay::infra {

namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 6265 5.4: "name=value" pairs separated by "; ", possibly in several Cookie fields.
std::optional<std::string> cookie(const Request& req, std::string_view name) {
  for (auto it = req.find(http::field::cookie); it != req.end() && it->name() == http::field::cookie;
       ++it) {
    std::string_view rest = it->value();
    while (!rest.empty()) {
      const auto semicolon = rest.find(';');
      const auto pair = trim(rest.substr(0, semicolon));
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
        auto value = trim(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        if (!value.empty()) return std::string(value);
      }
      if (semicolon == std::string_view::npos) break;
      rest.remove_prefix(semicolon + 1);
    }
  }
  return std::nullopt;
}

std::optional<std::string> query(const Request& req, std::string_view name) {
  if (name.empty()) return std::nullopt;
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return std::nullopt;
  for (auto param : url->params()) {
    if (param.key == name && !param.value.empty()) return std::string(param.value);
  }
  return std::nullopt;
}

// RFC 6750 3: error_description holds %x20-21 / %x23-5B / %x5D-7E only. A detail may quote
// what a token said (a repeated key's name, say): anything else becomes '?', so no token can
// write a quote, a backslash or a line break into a response header.
std::string header_safe(std::string_view detail) {
  std::string out(detail.substr(0, 200));
  for (auto& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"' || c == '\\') c = '?';
  }
  return out;
}

Response unauthorized(const Request& req, const std::string& detail, bool token_given) {
  auto res = problem_response(req, {401, ptype::unauthorized, "Unauthorized", detail, ""});
  // RFC 6750 3: no error code when no credentials came; invalid_token for a refused one.
  res.set(http::field::www_authenticate,
          token_given ? fmt::format(R"(Bearer realm="sse-relay", error="invalid_token", )"
                                    R"(error_description="{}")",
                                    header_safe(detail))
                      : std::string(R"(Bearer realm="sse-relay")"));
  return res;
}

}  // namespace

std::optional<std::string_view> bearer_token(const Request& req) {
  const std::string_view auth = req[http::field::authorization];
  constexpr std::string_view scheme = "Bearer ";
  if (auth.size() <= scheme.size() || !boost::beast::iequals(auth.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  return auth.substr(scheme.size());
}

std::optional<std::string> find_token(const Request& req, const SubscriberAuthConfig& auth) {
  if (auto token = bearer_token(req)) return std::string(*token);
  if (auto token = cookie(req, auth.cookie)) return token;
  return query(req, auth.query_param);
}

std::int64_t token_expiry_unix_ms(std::int64_t exp_s, std::int64_t leeway_s) {
  constexpr auto most = std::numeric_limits<std::int64_t>::max();
  constexpr auto least = std::numeric_limits<std::int64_t>::min();
  std::int64_t until_s = 0;
  std::int64_t until_ms = 0;
  if (__builtin_add_overflow(exp_s, leeway_s, &until_s)) return exp_s > 0 ? most : least;
  if (__builtin_mul_overflow(until_s, std::int64_t{1000}, &until_ms)) {
    return until_s > 0 ? most : least;
  }
  return until_ms;
}

std::variant<std::optional<SubscriberGrant>, Response> authorize(const Request& req,
                                                                 const SubscriberAuthConfig& auth,
                                                                 std::int64_t now_ms) {
  if (!auth.enabled()) return std::optional<SubscriberGrant>{};
  const auto token = find_token(req, auth);
  if (!token) {
    return unauthorized(
        req,
        fmt::format("this relay requires a token: Authorization: Bearer <jwt>, or the cookie {}{}",
                    auth.cookie,
                    auth.query_param.empty() ? "" : fmt::format(", or ?{}=", auth.query_param)),
        false);
  }
  auto verified = auth.verifier->verify(*token, now_ms / 1000);
  if (auto* rejection = std::get_if<JwtRejection>(&verified)) {
    return unauthorized(req, rejection->detail, true);
  }
  auto& claims = std::get<proto::JwtClaims>(verified);
  auto allowed =
      service::SubscriptionFilter::grant(claims.types, claims.workers, std::move(claims.regions));
  if (auto* error = std::get_if<std::string>(&allowed)) {
    return unauthorized(req, "the token's sse claim is not valid: " + *error, true);
  }
  SubscriberGrant grant{std::move(std::get<service::SubscriptionFilter>(allowed)),
                        token_expiry_unix_ms(*claims.exp, auth.verifier->leeway().count()),
                        {}, claims.sub};
  grant.canonical = grant.allowed.canonical();
  return std::optional<SubscriberGrant>(std::move(grant));
}

Response forbidden(const Request& req, const std::string& detail) {
  return refusal_response(req, error::outside_grant, detail);
}

}  // namespace relay::infra
