// Who may publish, without a server: nothing asked when nothing is configured; the static
// token as one producer wherever it comes from; a JWT with the publish scope as its subject;
// every other answer a 401 or 403 that names what is wrong, with the RFC 6750 challenge.
#include "infra/auth/publisher_auth.hpp"

#include <memory>

#include <doctest/doctest.h>

#include "../../support/jwt_signing.hpp"

using namespace relay::infra;
namespace http = boost::beast::http;

namespace {

const std::string publisher_secret = "0123456789abcdef0123456789abcdef";

struct FixedWallClock final : relay::service::Clock {
  [[nodiscard]] std::uint64_t now_unix_ms() const override { return 1'800'000'000'000; }
};

HttpConfig publisher_config(std::string static_token, bool jwt) {
  HttpConfig config;
  config.publish_token = std::move(static_token);
  if (jwt) {
    auto created = JwtVerifier::create(
        {publisher_secret, "", {"HS256"}, "", "", std::chrono::seconds(30), ""});
    REQUIRE(std::holds_alternative<JwtVerifier>(created));
    config.auth.verifier =
        std::make_shared<const JwtVerifier>(std::get<JwtVerifier>(std::move(created)));
  }
  return config;
}

std::string publisher_jwt(const std::string& claims) {
  return relay::test::sign(JWT_ALG_HS256, publisher_secret, claims);
}

Request post(std::optional<std::string> bearer) {
  Request req{http::verb::post, "/api/events", 11};
  if (bearer) req.set(http::field::authorization, "Bearer " + *bearer);
  return req;
}

Response refusal(std::variant<std::string, Response> answer) {
  REQUIRE(std::holds_alternative<Response>(answer));
  return std::get<Response>(std::move(answer));
}

}  // namespace

TEST_CASE("nothing configured: every request publishes, counted by its address") {
  const auto config = publisher_config("", false);
  FixedWallClock clock;
  PublisherAuth auth(config, clock);
  CHECK(std::get<std::string>(auth.identify(post(std::nullopt), "10.0.0.1")) == "address 10.0.0.1");
  CHECK(std::get<std::string>(auth.identify(post("made-up"), "10.0.0.1")) == "address 10.0.0.1");
  CHECK_FALSE(auth.check(post(std::nullopt)));
}

TEST_CASE("the static token is one producer from any address; anything else is 401") {
  const auto config = publisher_config("s3cret-token", false);
  FixedWallClock clock;
  PublisherAuth auth(config, clock);
  CHECK(std::get<std::string>(auth.identify(post("s3cret-token"), "10.0.0.1")) == "publish token");
  CHECK(std::get<std::string>(auth.identify(post("s3cret-token"), "10.0.0.2")) == "publish token");
  const auto missing = refusal(auth.identify(post(std::nullopt), "10.0.0.1"));
  CHECK(missing.result_int() == 401);
  CHECK(missing[http::field::www_authenticate] == R"(Bearer realm="sse-relay")");
  CHECK(missing.body().find("requires Authorization: Bearer") != std::string::npos);
  // "Bearer " with nothing after it is no token at all: the plain challenge.
  CHECK(refusal(auth.identify(post(""), "10.0.0.1"))[http::field::www_authenticate] ==
        R"(Bearer realm="sse-relay")");
  for (const char* wrong : {"s3cret-toke", "s3cret-token!", "S3cret-token"}) {
    CAPTURE(wrong);
    const auto bad = refusal(auth.identify(post(wrong), "10.0.0.1"));
    CHECK(bad.result_int() == 401);
    CHECK(bad[http::field::www_authenticate] ==
          R"(Bearer realm="sse-relay", error="invalid_token")");
  }
  CHECK(auth.check(post("wrong")));
}

TEST_CASE(
    "a JWT with the publish scope is its subject (or its address without one); without "
    "the scope 403; a broken one 401 naming why") {
  const auto config = publisher_config("", true);
  FixedWallClock clock;
  PublisherAuth auth(config, clock);
  const auto scoped = publisher_jwt(R"({"sub":"svc-a","exp":1900000000,"scope":"sse:publish"})");
  CHECK(std::get<std::string>(auth.identify(post(scoped), "10.0.0.1")) == "subject svc-a");
  const auto anonymous = publisher_jwt(R"({"exp":1900000000,"scope":"read sse:publish"})");
  CHECK(std::get<std::string>(auth.identify(post(anonymous), "10.0.0.7")) == "address 10.0.0.7");
  const auto reader = publisher_jwt(R"({"sub":"u1","exp":1900000000,"scope":"read"})");
  const auto forbidden = refusal(auth.identify(post(reader), "10.0.0.1"));
  CHECK(forbidden.result_int() == 403);
  CHECK(forbidden.body().find("sse:publish") != std::string::npos);
  CHECK(forbidden[http::field::www_authenticate] ==
        R"(Bearer realm="sse-relay", error="insufficient_scope")");
  const auto expired = publisher_jwt(R"({"sub":"svc-a","exp":1700000000,"scope":"sse:publish"})");
  const auto old = refusal(auth.identify(post(expired), "10.0.0.1"));
  CHECK(old.result_int() == 401);
  CHECK(old.body().find("expired") != std::string::npos);
}

TEST_CASE("both configured: the static token, or a scoped JWT; a wrong static token is 401") {
  const auto config = publisher_config("s3cret-token", true);
  FixedWallClock clock;
  PublisherAuth auth(config, clock);
  CHECK(std::get<std::string>(auth.identify(post("s3cret-token"), "10.0.0.1")) == "publish token");
  const auto scoped = publisher_jwt(R"({"sub":"svc-b","exp":1900000000,"scope":"sse:publish"})");
  CHECK(std::get<std::string>(auth.identify(post(scoped), "10.0.0.1")) == "subject svc-b");
  const auto wrong = refusal(auth.identify(post("not-the-token"), "10.0.0.1"));
  CHECK(wrong.result_int() == 401);
  CHECK(wrong.body().find("the bearer token is not valid") != std::string::npos);
}
