#include "infra/auth/jwk_set.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <openssl/core_names.h>

#include "../../support/base64url.hpp"
#include "../../support/jwt_signing.hpp"
#include "infra/auth/jwks_watcher.hpp"
#include "infra/auth/jwt_verifier.hpp"

using namespace relay::infra;
using relay::test::base64url_encode;
using relay::test::sign;
using Reason = JwtRejection::Reason;

namespace {

constexpr std::int64_t now = 1'800'000'000;
const std::string claims = R"({"sub":"u1","exp":1800000300})";
const std::string secret = "an HMAC key of at least 32 bytes, for HS256";

struct Pair {
  std::string private_pem;
  std::string jwk;  // the public half as a JWK, without kid
};

std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> read_private(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  return {PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free};
}

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return base64url_encode(bytes);
}

// A new key pair with its public half written as a JWK the way identity providers do.
Pair rsa_pair(int bits = 2048) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(static_cast<unsigned>(bits)), &EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr));
  return {relay::test::bio_text(priv.get()),
          R"("kty":"RSA","n":")" + bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N) + R"(","e":")" +
              bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E) + '"'};
}

Pair ec_pair() {
  const auto pair = relay::test::key_pair(true);
  auto key = read_private(pair.private_pem);
  unsigned char point[65];
  std::size_t length = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                          &length) == 1);
  REQUIRE(length == 65);
  const std::string raw(reinterpret_cast<const char*>(point), length);
  return {pair.private_pem, R"("kty":"EC","crv":"P-256","x":")" + base64url_encode(raw.substr(1, 32)) +
                                R"(","y":")" + base64url_encode(raw.substr(33, 32)) + '"'};
}

const Pair& rsa1() {
  static const Pair p = rsa_pair();
  return p;
}
const Pair& rsa2() {
  static const Pair p = rsa_pair();
  return p;
}
const Pair& ec1() {
  static const Pair p = ec_pair();
  return p;
}

std::string jwk(const std::string& kid, const std::string& body, const std::string& extra = "") {
  return "{" + (kid.empty() ? std::string() : R"("kid":")" + kid + R"(",)") + body + extra + "}";
}
std::string set_of(std::initializer_list<std::string> keys) {
  std::string out = R"({"keys":[)";
  for (const auto& k : keys) out += (out.back() == '[' ? "" : ",") + k;
  return out + "]}";
}
std::string oct(const std::string& kid) {
  return jwk(kid, R"("kty":"oct","k":")" + base64url_encode(secret) + '"');
}

JwkSet parsed(const std::string& json) {
  auto set = parse_jwk_set(json);
  if (auto* error = std::get_if<std::string>(&set)) FAIL(*error);
  return std::get<JwkSet>(set);
}
std::string refused(const std::string& json) {
  auto set = parse_jwk_set(json);
  REQUIRE(std::holds_alternative<std::string>(set));
  return std::get<std::string>(set);
}

JwtVerifier verifier_with(const std::shared_ptr<JwkRing>& ring, std::vector<std::string> algs) {
  JwtSettings settings;
  settings.algorithms = std::move(algs);
  settings.leeway = std::chrono::seconds(0);
  settings.jwks = ring;
  auto v = JwtVerifier::create(std::move(settings));
  if (auto* error = std::get_if<std::string>(&v)) FAIL(*error);
  return std::get<JwtVerifier>(std::move(v));
}

std::optional<Reason> rejection(const JwtVerifier& v, const std::string& token) {
  auto result = v.verify(token, now);
  if (auto* r = std::get_if<JwtRejection>(&result)) return r->reason;
  return std::nullopt;
}

}  // namespace

TEST_CASE("a JWK Set of RSA, EC and oct keys becomes PEM keys and secrets, by kid") {
  const auto set = parsed(set_of({jwk("r1", rsa1().jwk, R"(,"alg":"RS256","use":"sig")"),
                                  jwk("e1", ec1().jwk), oct("h1"),
                                  jwk("enc", rsa2().jwk, R"(,"use":"enc")")}));
  REQUIRE(set.size() == 3);  // the encryption key is left out
  CHECK(set[0].kid == "r1");
  CHECK(set[0].key.starts_with("-----BEGIN PUBLIC KEY-----"));
  CHECK(set[1].curve == "P-256");
  CHECK(set[2].key == secret);
  CHECK(find_jwk(set, "e1") == &set[1]);
  CHECK(find_jwk(set, "nope") == nullptr);
  CHECK(find_jwk(set, "") == nullptr);  // several keys: a token must name one
  const auto single = parsed(set_of({jwk("", rsa1().jwk)}));
  CHECK(find_jwk(single, "") == &single[0]);
}

TEST_CASE("a key fits only its family, its curve and its own alg") {
  const auto set = parsed(set_of({jwk("r1", rsa1().jwk, R"(,"alg":"RS256")"), jwk("e1", ec1().jwk),
                                  oct("h1")}));
  CHECK(jwk_fits(set[0], "RS256"));
  CHECK_FALSE(jwk_fits(set[0], "RS512"));  // the key says RS256
  CHECK_FALSE(jwk_fits(set[0], "HS256"));  // the confusion attack: a public key as a secret
  CHECK(jwk_fits(set[1], "ES256"));
  CHECK_FALSE(jwk_fits(set[1], "ES384"));  // P-256 signs ES256 only
  CHECK(jwk_fits(set[2], "HS512"));
  CHECK_FALSE(jwk_fits(set[2], "RS256"));
}

TEST_CASE("a JWK Set that is wrong is refused whole, naming the key and the reason") {
  CHECK(refused("not json") == "the key set is not JSON");
  CHECK(refused(R"({"kid":"x"})").find("\"keys\" array") != std::string::npos);
  CHECK(refused(set_of({})) == "the key set holds no signing key");
  CHECK(refused(set_of({oct("a"), oct("a")})).find("same kid") != std::string::npos);
  CHECK(refused(set_of({jwk("a", R"("kty":"oct","k":"c2hvcnQ")")})).find("shorter than 32") !=
        std::string::npos);
  CHECK(refused(set_of({jwk("p", rsa1().jwk, R"(,"d":"AQAB")")})).find("private member \"d\"") !=
        std::string::npos);
  CHECK(refused(set_of({jwk("w", R"("kty":"OKP","crv":"Ed25519","x":"AQAB")")})).find("kty") !=
        std::string::npos);
  CHECK(refused(set_of({jwk("s", rsa_pair(1024).jwk)})).find("1024 bits") != std::string::npos);
  CHECK(refused(set_of({jwk("c", R"("kty":"EC","crv":"P-192","x":"AQAB","y":"AQAB")")})).find("crv") !=
        std::string::npos);
  // A point off the curve: a valid-looking key that would verify nothing, or worse.
  const std::string zeros = base64url_encode(std::string(32, '\0'));
  CHECK(refused(set_of({jwk("o", R"("kty":"EC","crv":"P-256","x":")" + zeros + R"(","y":")" + zeros + '"')}))
            .find("not a point") != std::string::npos);
  CHECK(refused(set_of({jwk("b", R"("kty":"RSA","n":"***","e":"AQAB")")})).find("\"n\" is not base64url") !=
        std::string::npos);
}

TEST_CASE("with a JWKS the token's kid picks the key; rotation replaces the set; the alg must fit") {
  auto ring = std::make_shared<JwkRing>();
  ring->replace(parsed(set_of({jwk("k1", rsa1().jwk), jwk("e1", ec1().jwk), oct("h1")})));
  const auto v = verifier_with(ring, {"RS256", "ES256", "HS256"});
  const auto k1_token = sign(JWT_ALG_RS256, rsa1().private_pem, claims, "k1");
  CHECK_FALSE(rejection(v, k1_token));
  CHECK_FALSE(rejection(v, sign(JWT_ALG_ES256, ec1().private_pem, claims, "e1")));
  CHECK_FALSE(rejection(v, sign(JWT_ALG_HS256, secret, claims, "h1")));
  // A real signature by a key that is not the one the kid names.
  CHECK(rejection(v, sign(JWT_ALG_RS256, rsa2().private_pem, claims, "k1")) == Reason::bad_signature);
  CHECK(rejection(v, sign(JWT_ALG_RS256, rsa1().private_pem, claims, "k9")) == Reason::unknown_key);
  CHECK(rejection(v, sign(JWT_ALG_RS256, rsa1().private_pem, claims)) == Reason::unknown_key);
  // HS256 "signed" with the RSA key's PEM under its kid: the key is not for that alg.
  const auto pem = find_jwk(*ring->keys(), "k1")->key;
  CHECK(rejection(v, sign(JWT_ALG_HS256, pem, claims, "k1")) == Reason::unknown_key);
  CHECK(rejection(v, sign(JWT_ALG_ES256, ec1().private_pem, claims, "k1")) == Reason::unknown_key);

  // The provider rotates: k2 is added, then k1 removed.
  ring->replace(parsed(set_of({jwk("k1", rsa1().jwk), jwk("k2", rsa2().jwk)})));
  const auto k2_token = sign(JWT_ALG_RS256, rsa2().private_pem, claims, "k2");
  CHECK_FALSE(rejection(v, k1_token));
  CHECK_FALSE(rejection(v, k2_token));
  ring->replace(parsed(set_of({jwk("k2", rsa2().jwk)})));
  CHECK(rejection(v, k1_token) == Reason::unknown_key);
  CHECK_FALSE(rejection(v, k2_token));
  // A set of one key also verifies a token that names none.
  CHECK_FALSE(rejection(v, sign(JWT_ALG_RS256, rsa2().private_pem, claims)));
}

TEST_CASE("a JWKS is the only key source when set") {
  JwtSettings settings;
  settings.jwks = std::make_shared<JwkRing>();
  settings.secret = std::string(32, 's');
  auto v = JwtVerifier::create(settings);
  REQUIRE(std::holds_alternative<std::string>(v));
  CHECK(std::get<std::string>(v).find("only key source") != std::string::npos);
}

TEST_CASE("the watcher re-reads the file on a symlink swap and on SIGHUP, and keeps the keys "
          "in use when the new file is bad") {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / fmt::format("sse-relay-jwks-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  };
  // As Kubernetes mounts a Secret: keys.json -> ..data/keys.json, ..data -> a dated dir.
  fs::create_directories(dir / "v1");
  std::ofstream(dir / "v1" / "keys.json") << set_of({jwk("k1", rsa1().jwk)});
  fs::create_directory_symlink("v1", dir / "..data");
  fs::create_symlink("..data/keys.json", dir / "keys.json");
  const auto path = (dir / "keys.json").string();

  auto ring = std::make_shared<JwkRing>();
  ring->replace(std::get<JwkSet>(read_jwk_set_file(path)));
  boost::asio::io_context io;
  std::FILE* sink = std::fopen("/dev/null", "w");
  relay::service::Logger logger{sink, relay::service::LogLevel::info};
  JwksWatcher watcher(io.get_executor(), path, ring, logger, std::chrono::milliseconds(20));
  watcher.start();
  auto kids = [&] {
    std::string out;
    for (const auto& k : *ring->keys()) out += k.kid + ";";
    return out;
  };
  io.run_for(std::chrono::milliseconds(60));
  CHECK(kids() == "k1;");

  // The swap: a new dated dir, then ..data is replaced atomically by rename.
  fs::create_directories(dir / "v2");
  std::ofstream(dir / "v2" / "keys.json") << set_of({jwk("k1", rsa1().jwk), jwk("k2", rsa2().jwk)});
  fs::create_directory_symlink("v2", dir / "..data_tmp");
  fs::rename(dir / "..data_tmp", dir / "..data");
  io.run_for(std::chrono::milliseconds(100));
  CHECK(kids() == "k1;k2;");

  // A broken file: logged, counted, the keys in use stay.
  write("broken.json", R"({"keys":[{"kty":"RSA"}]})");
  fs::remove(dir / "keys.json");
  fs::create_symlink("broken.json", dir / "keys.json");
  io.run_for(std::chrono::milliseconds(100));
  CHECK(kids() == "k1;k2;");
  CHECK(watcher.failed_loads() == 1);

  // Fixed in place with the same size and time would go unseen: SIGHUP forces a read.
  write("broken.json", set_of({jwk("k2", rsa2().jwk)}));
  std::raise(SIGHUP);
  io.run_for(std::chrono::milliseconds(100));
  CHECK(kids() == "k2;");

  bool stopped = false;
  boost::asio::co_spawn(io, watcher.stop(), [&](const std::exception_ptr&) { stopped = true; });
  io.run_for(std::chrono::milliseconds(50));
  CHECK(stopped);
  std::fclose(sink);
  fs::remove_all(dir);
}
