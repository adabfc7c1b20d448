#include "infra/auth/jwt_verifier.hpp"

#include <cstdlib>
#include <memory>

#include <doctest/doctest.h>
#include <jwt.h>

#include "../../support/jwt_signing.hpp"

using namespace relay::infra;
using Reason = JwtRejection::Reason;
using relay::test::ec;
using relay::test::key_pair;
using relay::test::KeyPair;
using relay::test::rsa;
using relay::test::sign;

namespace {

constexpr std::int64_t test_now = 1'800'000'000;
const std::string test_secret = "0123456789abcdef0123456789abcdef";  // 32 bytes

std::string valid_claims() {
  return R"({"sub":"u1","exp":1800000300,"iss":"https://idp","aud":"sse-relay","sse":{"workers":["w-1"]}})";
}

JwtVerifier verifier(JwtSettings settings) {
  auto v = JwtVerifier::create(std::move(settings));
  if (auto* error = std::get_if<std::string>(&v)) FAIL(*error);
  return std::get<JwtVerifier>(v);
}

JwtSettings hs() { return {test_secret, "", {"HS256"}, "https://idp", "sse-relay", std::chrono::seconds(0), ""}; }
JwtSettings rs() { return {"", rsa().public_pem, {"RS256"}, "https://idp", "sse-relay", std::chrono::seconds(0), ""}; }

Reason rejected(const JwtVerifier& v, const std::string& token, std::int64_t at = test_now) {
  auto result = v.verify(token, at);
  REQUIRE(std::holds_alternative<JwtRejection>(result));
  return std::get<JwtRejection>(result).reason;
}

}  // namespace

TEST_CASE("valid HS256, RS256 and ES256 tokens verify and yield their claims") {
  auto claims = verifier(hs()).verify(sign(JWT_ALG_HS256, test_secret, valid_claims()), test_now);
  REQUIRE(std::holds_alternative<relay::proto::JwtClaims>(claims));
  CHECK(std::get<relay::proto::JwtClaims>(claims).workers == std::vector<std::string>{"w-1"});
  CHECK(std::holds_alternative<relay::proto::JwtClaims>(
      verifier(rs()).verify(sign(JWT_ALG_RS256, rsa().private_pem, valid_claims()), test_now)));
  auto es = rs();
  es.public_key_pem = ec().public_pem;
  es.algorithms = {"ES256"};
  CHECK(std::holds_alternative<relay::proto::JwtClaims>(
      verifier(es).verify(sign(JWT_ALG_ES256, ec().private_pem, valid_claims()), test_now)));
}

TEST_CASE("forged and unfit tokens: each refused with its own reason") {
  const auto v = verifier(rs());
  SUBCASE("alg none") {
    CHECK(rejected(v, sign(JWT_ALG_NONE, "", valid_claims())) == Reason::algorithm_not_allowed);
  }
  SUBCASE("HS256 signed with the RS256 public key (algorithm confusion)") {
    CHECK(rejected(v, sign(JWT_ALG_HS256, rsa().public_pem, valid_claims())) ==
          Reason::algorithm_not_allowed);
    // Even with HS256 also allowed, the HMAC key is the secret, never the PEM.
    auto both = rs();
    both.secret = test_secret;
    both.algorithms = {"RS256", "HS256"};
    CHECK(rejected(verifier(both), sign(JWT_ALG_HS256, rsa().public_pem, valid_claims())) ==
          Reason::bad_signature);
  }
  SUBCASE("signed by another key") {
    const auto other = key_pair(false);
    CHECK(rejected(v, sign(JWT_ALG_RS256, other.private_pem, valid_claims())) == Reason::bad_signature);
  }
  SUBCASE("a claim changed after signing") {
    auto token = sign(JWT_ALG_RS256, rsa().private_pem, valid_claims());
    const auto dot = token.find('.');
    token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
    CHECK(rejected(v, token) != Reason::algorithm_not_allowed);  // malformed or bad signature
  }
  SUBCASE("expired, and not yet valid") {
    const auto token = sign(JWT_ALG_RS256, rsa().private_pem, valid_claims());
    CHECK(rejected(v, token, 1'800'000'300) == Reason::expired);
    CHECK(rejected(v, sign(JWT_ALG_RS256, rsa().private_pem,
                           R"({"exp":1800000300,"nbf":1800000100,"iss":"https://idp","aud":"sse-relay"})")) ==
          Reason::not_yet_valid);
  }
  SUBCASE("the leeway: accepted until exp + leeway, and from nbf - leeway") {
    auto lenient = rs();
    lenient.leeway = std::chrono::seconds(30);
    const auto token = sign(JWT_ALG_RS256, rsa().private_pem, valid_claims());
    CHECK(std::holds_alternative<relay::proto::JwtClaims>(verifier(lenient).verify(token, 1'800'000'329)));
    CHECK(rejected(verifier(lenient), token, 1'800'000'330) == Reason::expired);
  }
  SUBCASE("no exp") {
    CHECK(rejected(v, sign(JWT_ALG_RS256, rsa().private_pem, R"({"iss":"https://idp","aud":"sse-relay"})")) ==
          Reason::no_expiry);
  }
  SUBCASE("wrong audience, wrong issuer") {
    CHECK(rejected(v, sign(JWT_ALG_RS256, rsa().private_pem,
                           R"({"exp":1800000300,"iss":"https://idp","aud":["other"]})")) ==
          Reason::wrong_audience);
    CHECK(rejected(v, sign(JWT_ALG_RS256, rsa().private_pem,
                           R"({"exp":1800000300,"iss":"https://evil","aud":"sse-relay"})")) ==
          Reason::wrong_issuer);
  }
  SUBCASE("unknown kid when a key id is configured") {
    auto with_kid = rs();
    with_kid.key_id = "k1";
    const auto kv = verifier(with_kid);
    CHECK(rejected(kv, sign(JWT_ALG_RS256, rsa().private_pem, valid_claims(), "k2")) == Reason::unknown_key);
    CHECK(rejected(kv, sign(JWT_ALG_RS256, rsa().private_pem, valid_claims())) == Reason::unknown_key);
    CHECK(std::holds_alternative<relay::proto::JwtClaims>(
        kv.verify(sign(JWT_ALG_RS256, rsa().private_pem, valid_claims(), "k1"), test_now)));
  }
  SUBCASE("malformed: base64, JSON, a 64 KB token") {
    CHECK(rejected(v, "not-a-token") == Reason::malformed);
    CHECK(rejected(v, "eyJ!.eyJ.c2ln") == Reason::malformed);
    CHECK(rejected(v, "bm90IGpzb24.e30.c2ln") == Reason::malformed);  // "not json".{}
    CHECK(rejected(v, std::string(64 * 1024, 'a')) == Reason::malformed);
  }
}

TEST_CASE("settings are checked at start: algorithms, keys of the right kind, secret length") {
  auto error = [](JwtSettings s) {
    auto v = JwtVerifier::create(std::move(s));
    REQUIRE(std::holds_alternative<std::string>(v));
    return std::get<std::string>(v);
  };
  auto s = hs();
  s.algorithms = {"none"};
  CHECK(error(s).find("'none' is not one of") != std::string::npos);
  s = hs();
  s.algorithms = {"RS256"};
  CHECK(error(s) == "RELAY_JWT_ALGORITHMS lists RS256 but RELAY_JWT_PUBLIC_KEY_FILE is not set");
  s = rs();
  s.algorithms = {"ES256"};
  CHECK(error(s) == "RELAY_JWT_ALGORITHMS lists ES256 but the public key is of another kind");
  s = hs();
  s.secret = "short";
  CHECK(error(s) == "RELAY_JWT_SECRET must be at least 32 bytes (RFC 7518 3.2)");
  s = rs();
  s.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n";
  CHECK(error(s) == "RELAY_JWT_PUBLIC_KEY_FILE holds no RSA or EC public key in PEM form");
  // No list: the family of the key given.
  s = rs();
  s.algorithms.clear();
  CHECK(std::holds_alternative<relay::proto::JwtClaims>(
      verifier(s).verify(sign(JWT_ALG_RS256, rsa().private_pem, valid_claims()), test_now)));
}
