#include "infra/auth/jwt_verifier.hpp"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace relay::infra {

namespace {

using Reason = JwtRejection::Reason;

constexpr std::string_view algorithms[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
                                           "RS512", "ES256", "ES384", "ES512"};

bool is_hmac(std::string_view alg) { return alg.starts_with("HS"); }

// The PEM's key family (EVP_PKEY_RSA, EVP_PKEY_EC), or 0 when it is no public key.
int pem_key_type(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  if (!bio) return 0;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  return key ? EVP_PKEY_get_base_id(key.get()) : 0;
}

// libjwt checks the signature with the header's alg and the key it is given; both were
// checked by the caller. Its answer is only "valid or not": that is all the relay needs.
bool signature_valid(const std::string& token, const std::string& key) {
  jwt_t* jwt = nullptr;
  const int rc = jwt_decode(&jwt, token.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                            static_cast<int>(key.size()));
  if (jwt) jwt_free(jwt);
  return rc == 0;
}

}  // namespace

bool known_jwt_algorithm(std::string_view alg) {
  return std::find(std::begin(algorithms), std::end(algorithms), alg) != std::end(algorithms);
}

std::variant<JwtVerifier, std::string> JwtVerifier::create(JwtSettings settings) {
  if (settings.jwks) {
    if (!settings.secret.empty() || !settings.public_key_pem.empty() || !settings.key_id.empty()) {
      return std::string("RELAY_JWT_JWKS_FILE is the only key source when set: unset "
                         "RELAY_JWT_SECRET, RELAY_JWT_PUBLIC_KEY_FILE and RELAY_JWT_KEY_ID");
    }
    if (settings.algorithms.empty()) settings.algorithms.emplace_back("RS256");
    for (const auto& alg : settings.algorithms) {
      if (!known_jwt_algorithm(alg)) {
        return fmt::format("RELAY_JWT_ALGORITHMS: '{}' is not one of HS256, HS384, HS512, "
                           "RS256, RS384, RS512, ES256, ES384, ES512",
                           alg);
      }
    }
    return JwtVerifier(std::move(settings));
  }
  if (settings.algorithms.empty()) {
    settings.algorithms.emplace_back(settings.public_key_pem.empty() ? "HS256" : "RS256");
  }
  const int pem_type = settings.public_key_pem.empty() ? 0 : pem_key_type(settings.public_key_pem);
  if (!settings.public_key_pem.empty() && pem_type != EVP_PKEY_RSA && pem_type != EVP_PKEY_EC) {
    return std::string("RELAY_JWT_PUBLIC_KEY_FILE holds no RSA or EC public key in PEM form");
  }
  for (const auto& alg : settings.algorithms) {
    if (!known_jwt_algorithm(alg)) {
      return fmt::format("RELAY_JWT_ALGORITHMS: '{}' is not one of HS256, HS384, HS512, RS256, "
                         "RS384, RS512, ES256, ES384, ES512",
                         alg);
    }
    if (is_hmac(alg) && settings.secret.empty()) {
      return fmt::format("RELAY_JWT_ALGORITHMS lists {} but RELAY_JWT_SECRET is empty", alg);
    }
    if (is_hmac(alg)) continue;
    if (settings.public_key_pem.empty()) {
      return fmt::format("RELAY_JWT_ALGORITHMS lists {} but RELAY_JWT_PUBLIC_KEY_FILE is not set", alg);
    }
    if ((alg.starts_with("RS") && pem_type != EVP_PKEY_RSA) ||
        (alg.starts_with("ES") && pem_type != EVP_PKEY_EC)) {
      return fmt::format("RELAY_JWT_ALGORITHMS lists {} but the public key is of another kind", alg);
    }
  }
  if (!settings.secret.empty() && settings.secret.size() < 32) {
    return std::string("RELAY_JWT_SECRET must be at least 32 bytes (RFC 7518 3.2)");
  }
  return JwtVerifier(std::move(settings));
}

std::variant<proto::JwtClaims, JwtRejection> JwtVerifier::verify(std::string_view token,
                                                                 std::int64_t now_s) const {
  if (token.size() > max_token_bytes) {
    return JwtRejection{Reason::malformed,
                        fmt::format("the token is longer than {} bytes", max_token_bytes)};
  }
  auto parsed = proto::parse_jwt(token);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    return JwtRejection{Reason::malformed, "malformed token: " + *error};
  }
  const auto& header = std::get<proto::ParsedJwt>(parsed).header;
  const auto& pinned = settings_.algorithms;
  if (std::find(pinned.begin(), pinned.end(), header.alg) == pinned.end()) {
    // Only a short, printable alg is echoed back.
    const bool printable = header.alg.size() <= 16 &&
                           std::all_of(header.alg.begin(), header.alg.end(),
                                       [](char c) { return c > ' ' && c < 0x7f && c != '"'; });
    return JwtRejection{Reason::algorithm_not_allowed,
                        fmt::format("algorithm {} is not allowed (accepted: {})",
                                    printable ? header.alg : "(unprintable)",
                                    fmt::join(pinned, ", "))};
  }
  if (!settings_.key_id.empty() && header.kid != settings_.key_id) {
    return JwtRejection{Reason::unknown_key, header.kid.empty()
                                                 ? std::string("the token names no key (kid)")
                                                 : std::string("the token's key id (kid) is not known")};
  }
  // Held for the check: a rotation meanwhile replaces the set, not the key in use.
  std::shared_ptr<const JwkSet> keys;
  const std::string* key = is_hmac(header.alg) ? &settings_.secret : &settings_.public_key_pem;
  if (settings_.jwks) {
    keys = settings_.jwks->keys();
    const auto* jwk = find_jwk(*keys, header.kid);
    if (jwk == nullptr) {
      return JwtRejection{Reason::unknown_key,
                          header.kid.empty()
                              ? std::string("the token names no key (kid) and the key set holds several")
                              : std::string("the token's key id (kid) is not in the key set")};
    }
    if (!jwk_fits(*jwk, header.alg)) {
      return JwtRejection{Reason::unknown_key, "the token's key (kid) is not for its algorithm"};
    }
    key = &jwk->key;
  }
  if (!signature_valid(std::string(token), *key)) {
    return JwtRejection{Reason::bad_signature, "the signature does not verify"};
  }
  // Claims are read only now: nothing an unsigned payload says is interpreted.
  auto read = proto::parse_claims(std::get<proto::ParsedJwt>(parsed).payload);
  if (auto* error = std::get_if<std::string>(&read)) {
    return JwtRejection{Reason::malformed, "malformed token: " + *error};
  }
  auto& claims = std::get<proto::JwtClaims>(read);
  const auto leeway = settings_.leeway.count();
  if (!claims.exp) return JwtRejection{Reason::no_expiry, "the token has no exp: it must expire"};
  // Written so that no claim takes part in an addition: an exp or nbf near the limits of a
  // 64-bit NumericDate (year 9999, 2^53-1, 2^63-1) cannot overflow; now and the leeway are small.
  if (now_s - leeway >= *claims.exp) return JwtRejection{Reason::expired, "the token has expired"};
  if (claims.nbf && now_s + leeway < *claims.nbf) {
    return JwtRejection{Reason::not_yet_valid, "the token is not valid yet (nbf)"};
  }
  if (!settings_.issuer.empty() && claims.iss != settings_.issuer) {
    return JwtRejection{Reason::wrong_issuer, "the token's issuer (iss) is not accepted"};
  }
  if (!settings_.audience.empty() &&
      std::find(claims.aud.begin(), claims.aud.end(), settings_.audience) == claims.aud.end()) {
    return JwtRejection{Reason::wrong_audience, "the token is not meant for this audience (aud)"};
  }
  return std::move(claims);
}

}  // namespace relay::infra
