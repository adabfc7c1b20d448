#include "infra/auth/subscriber_auth.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include <doctest/doctest.h>

#include "../../support/base64url.hpp"
#include "../../support/jwt_signing.hpp"

using namespace relay::infra;
namespace http = boost::beast::http;

namespace {

constexpr std::int64_t now_s = 1'800'000'000;
const std::string auth_secret = "0123456789abcdef0123456789abcdef";

SubscriberAuthConfig auth_config(std::string query_param = "") {
  auto created = JwtVerifier::create({auth_secret, "", {"HS256"}, "", "", std::chrono::seconds(30), ""});
  REQUIRE(std::holds_alternative<JwtVerifier>(created));
  SubscriberAuthConfig config;
  config.verifier = std::make_shared<const JwtVerifier>(std::get<JwtVerifier>(std::move(created)));
  config.query_param = std::move(query_param);
  return config;
}

std::string token(std::int64_t exp, const std::string& sse = R"({"workers":["w-1"]})") {
  return relay::test::sign(JWT_ALG_HS256, auth_secret,
                           R"({"sub":"u1","exp":)" + std::to_string(exp) + R"(,"sse":)" + sse + "}");
}

Request get(std::string target = "/api/events/stream") {
  Request req{http::verb::get, target, 11};
  req.set(http::field::host, "relay");
  return req;
}

std::variant<std::optional<SubscriberGrant>, Response> check(const Request& req,
                                                            const SubscriberAuthConfig& config) {
  return authorize(req, config, now_s * 1000);
}

std::string challenge(const std::variant<std::optional<SubscriberGrant>, Response>& result) {
  REQUIRE(std::holds_alternative<Response>(result));
  const auto& res = std::get<Response>(result);
  CHECK(res.result_int() == 401);
  return std::string(res[http::field::www_authenticate]);
}

}  // namespace

TEST_CASE("exp plus leeway in milliseconds, saturating for dates no 64-bit count of ms holds") {
  CHECK(token_expiry_unix_ms(1'800'000'000, 30) == 1'800'000'030'000);
  CHECK(token_expiry_unix_ms(253'402'300'799, 30) == 253'402'300'829'000);   // year 9999
  CHECK(token_expiry_unix_ms(32'503'680'000, 0) == 32'503'680'000'000);      // year 3000
  CHECK(token_expiry_unix_ms(9'007'199'254'740'991, 30) == 9'007'199'254'741'021'000);  // 2^53-1
  constexpr auto most = std::numeric_limits<std::int64_t>::max();
  constexpr auto least = std::numeric_limits<std::int64_t>::min();
  CHECK(token_expiry_unix_ms(most, 30) == most);
  CHECK(token_expiry_unix_ms(most / 1000, 30) == most);
  CHECK(token_expiry_unix_ms(least, 30) == least);
  CHECK(token_expiry_unix_ms(least, -30) == least);
}

TEST_CASE("no token: 401 with a bare challenge that says where a token may come from") {
  const auto config = auth_config();
  const auto result = check(get(), config);
  CHECK(challenge(result) == R"(Bearer realm="sse-relay")");
  CHECK(std::string_view(std::get<Response>(result).body()).find("sse_relay_token") !=
        std::string_view::npos);
}

TEST_CASE("a token is taken from Bearer, then the cookie, then the query parameter when enabled") {
  const auto good = token(now_s + 600);
  auto bearer = get();
  bearer.set(http::field::authorization, "Bearer " + good);
  auto cookie = get();
  cookie.set(http::field::cookie, "other=1; sse_relay_token=" + good + "; x=2");
  const auto from_query = get("/api/events/stream?access_token=" + good);
  for (const auto* req : {&bearer, &cookie}) {
    const auto result = check(*req, auth_config());
    REQUIRE(std::holds_alternative<std::optional<SubscriberGrant>>(result));
    const auto& grant = std::get<std::optional<SubscriberGrant>>(result);
    REQUIRE(grant);
    CHECK(grant->expires_unix_ms == (now_s + 600 + 30) * 1000);
    CHECK(grant->allowed.allows_worker_id("w-1"));
    CHECK_FALSE(grant->allowed.allows_worker_id("w-2"));
    CHECK_FALSE(grant->canonical.empty());
  }
  // Off by default: a token in the query is not looked at.
  CHECK(challenge(check(from_query, auth_config())) == R"(Bearer realm="sse-relay")");
  const auto result = check(from_query, auth_config("access_token"));
  REQUIRE(std::holds_alternative<std::optional<SubscriberGrant>>(result));
  CHECK(std::get<std::optional<SubscriberGrant>>(result).has_value());
}

TEST_CASE("a refused token gets invalid_token with its reason") {
  auto req = get();
  req.set(http::field::authorization, "Bearer " + token(now_s - 3600));
  const auto header = challenge(check(req, auth_config()));
  CHECK(header.find(R"(error="invalid_token")") != std::string::npos);
  CHECK(header.find("expired") != std::string::npos);
}

TEST_CASE("a far-future exp opens a stream valid until it ends (year 9999, 3000, 2^53-1)") {
  for (const std::int64_t exp : {std::int64_t{253'402'300'799}, std::int64_t{32'503'680'000},
                                 std::int64_t{9'007'199'254'740'991}}) {
    CAPTURE(exp);
    auto req = get();
    req.set(http::field::authorization, "Bearer " + token(exp));
    const auto result = check(req, auth_config());
    REQUIRE(std::holds_alternative<std::optional<SubscriberGrant>>(result));
    const auto& grant = std::get<std::optional<SubscriberGrant>>(result);
    REQUIRE(grant);
    CHECK(grant->expires_unix_ms > now_s * 1000 + std::int64_t{100} * 365 * 86'400'000);
  }
}

TEST_CASE("RFC 6750: nothing a token says can break out of the WWW-Authenticate header") {
  // An unsigned header that repeats a key whose name holds CR LF, a quote and a backslash:
  // the refusal quotes the key, and the header must carry none of those bytes.
  const std::string_view header_json =
      R"({"alg":"HS256","a\r\nSet-Cookie: x=\"1\\":1,"a\r\nSet-Cookie: x=\"1\\":2})";
  const auto forged = relay::test::base64url_encode(header_json) + "." +
                      relay::test::base64url_encode(R"({"exp":9999999999})") + ".c2ln";
  auto req = get();
  req.set(http::field::authorization, "Bearer " + forged);
  const auto header = challenge(check(req, auth_config()));
  CHECK(header.find(R"(error="invalid_token")") != std::string::npos);
  CHECK(header.find("repeats the key") != std::string::npos);
  CHECK(header.find_first_of("\r\n\\") == std::string::npos);
  // Exactly the quotes of the three parameters: realm, error and error_description.
  CHECK(std::count(header.begin(), header.end(), '"') == 6);
}

TEST_CASE("with authentication off, every request passes with no grant") {
  const auto result = authorize(get(), SubscriberAuthConfig{}, now_s * 1000);
  REQUIRE(std::holds_alternative<std::optional<SubscriberGrant>>(result));
  CHECK_FALSE(std::get<std::optional<SubscriberGrant>>(result).has_value());
}
