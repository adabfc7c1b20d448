#include "proto/jwt_token.hpp"

#include <doctest/doctest.h>

#include "../support/base64url.hpp"

using namespace relay::proto;

namespace {

std::string b64(std::string_view text) { return relay::test::base64url_encode(text); }

std::string token(std::string_view header, std::string_view payload, std::string_view sig = "sig") {
  return b64(header) + "." + b64(payload) + "." + b64(sig);
}

ParsedJwt parsed(const std::string& t) {
  auto p = parse_jwt(t);
  if (auto* error = std::get_if<std::string>(&p)) FAIL_CHECK(*error);
  REQUIRE(std::holds_alternative<ParsedJwt>(p));
  return std::get<ParsedJwt>(p);
}

JwtClaims claims_of(const std::string& t) {
  auto c = parse_claims(parsed(t).payload);
  if (auto* error = std::get_if<std::string>(&c)) FAIL_CHECK(*error);
  REQUIRE(std::holds_alternative<JwtClaims>(c));
  return std::get<JwtClaims>(c);
}

// Why the token (its segments, its header) or else its claims are refused.
std::string refused(const std::string& t) {
  auto p = parse_jwt(t);
  if (auto* error = std::get_if<std::string>(&p)) return *error;
  auto c = parse_claims(std::get<ParsedJwt>(p).payload);
  REQUIRE(std::holds_alternative<std::string>(c));
  return std::get<std::string>(c);
}

}  // namespace

TEST_CASE("base64url: the alphabet, no padding, one spelling per value") {
  CHECK(base64url_decode("") == "");
  CHECK(base64url_decode("YQ") == "a");
  CHECK(base64url_decode("YWI") == "ab");
  CHECK(base64url_decode("YWJj") == "abc");
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff", 2));
  CHECK_FALSE(base64url_decode("YQ=="));  // padding
  CHECK_FALSE(base64url_decode("Y+Q"));   // base64, not base64url
  CHECK_FALSE(base64url_decode("Y"));     // a length no encoding has
  CHECK_FALSE(base64url_decode("YR"));    // non-zero leftover bits: a second spelling of "a"
}

TEST_CASE("a token's header and claims: alg, kid, exp, nbf, iss, sub, aud, scope, sse") {
  const auto t = token(
      R"({"alg":"RS256","kid":"k1","typ":"JWT"})",
      R"({"exp":1700000300,"nbf":1700000000.9,"iss":"idp","sub":"u1","aud":["relay","other"],)"
      R"("scope":"read  sse:publish","sse":{"types":["worker.*"],"workers":["w-1"],"regions":["eu"]}})");
  const auto p = parsed(t);
  CHECK(p.header.alg == "RS256");
  CHECK(p.header.kid == "k1");
  const auto c = claims_of(t);
  CHECK(c.exp == 1700000300);
  CHECK(c.nbf == 1700000000);  // a fraction rounds down
  CHECK(c.iss == "idp");
  CHECK(c.sub == "u1");
  CHECK(c.aud == std::vector<std::string>{"relay", "other"});
  CHECK(c.scopes == std::vector<std::string>{"read", "sse:publish"});
  CHECK(c.types == std::vector<std::string>{"worker.*"});
  CHECK(c.workers == std::vector<std::string>{"w-1"});
  CHECK(c.regions == std::vector<std::string>{"eu"});
  // aud as one string; no sse claim at all: no restriction.
  const auto q = claims_of(token(R"({"alg":"HS256"})", R"({"aud":"relay"})"));
  CHECK(q.aud == std::vector<std::string>{"relay"});
  CHECK(q.types.empty());
  CHECK_FALSE(q.exp);
}

TEST_CASE("what is not a token is refused with the reason, before any key is used") {
  CHECK(refused("abc") == "not a compact JWS: three base64url segments separated by dots");
  CHECK(refused("a.b.c.d") == "not a compact JWS: three base64url segments separated by dots");
  // An empty signature ("alg": "none") parses: the verifier's algorithm check refuses it.
  CHECK(parsed(b64(R"({"alg":"none"})") + "." + b64("{}") + ".").header.alg == "none");
  CHECK(refused("%%%." + b64("{}") + ".c2ln") == "the header is not base64url");
  CHECK(refused(b64(R"({"alg":"HS256"})") + ".%%%.c2ln") == "the payload is not base64url");
  CHECK(refused(token("not json", "{}")) == "the header is not JSON");
  CHECK(refused(token("[1]", "{}")) == "the header is not a JSON object");
  CHECK(refused(token(R"({"typ":"JWT"})", "{}")) == "the header has no \"alg\"");
  CHECK(refused(token(R"({"alg":"HS256","alg":"none"})", "{}")) ==
        "the header repeats the key at /alg");
  CHECK(refused(token(R"({"alg":"HS256","crit":["x"]})", "{}")).find("crit") != std::string::npos);
  CHECK(refused(token(R"({"alg":"HS256"})", "{}") + "$") == "the signature is not base64url");
  CHECK(refused(token(R"({"alg":"HS256"})", R"({"exp":"tomorrow"})")) ==
        "claim exp is not a NumericDate");
  CHECK(refused(token(R"({"alg":"HS256"})", R"({"exp":1,"exp":2})")) ==
        "the payload repeats the key at /exp");
  CHECK(refused(token(R"({"alg":"HS256"})", R"({"sse":{"workers":"w-1"}})")) ==
        "claim sse.workers is not an array of strings");
  CHECK(refused(token(R"({"alg":"HS256"})", R"({"sse":{"worker":["w-1"]}})")) ==
        "claim sse holds a member other than types, workers, regions");
  CHECK(refused(token(R"({"alg":"HS256"})", "[]")) == "the payload is not a JSON object");
  CHECK(refused(token(R"({"alg":"HS256"})", R"({"sse":{"types":[""]}})")) ==
        "claim sse.types holds something other than non-empty strings");
  std::string many = R"({"sse":{"workers":[)";
  for (int i = 0; i < 65; ++i) many += (i ? ",\"w" : "\"w") + std::to_string(i) + "\"";
  many += "]}}";
  CHECK(refused(token(R"({"alg":"HS256"})", many)) == "claim sse.workers holds more than 64 entries");
}
