#pragma once
// Verifies subscriber and producer JWTs (DESIGN 8). The order is the point: the token's
// "alg" is checked against the configured list before anything else, and the key used is
// the one configured for that family (HS* the secret, RS*/ES* the PEM public key), so
// "alg": "none" and HS256 signed with the public key (algorithm confusion) never reach a
// signature check that could pass. libjwt 1.10 verifies the signature; it trusts the
// header's alg, which is why it is only called after that check. Only then are the claims
// read (nothing an unsigned payload says is interpreted): exp/nbf (with leeway), iss, aud.
// Construction reads and checks the key once; verify() is const and cheap. With a JWKS the
// key is the set's entry for the token's kid, and it must fit the token's alg (its family,
// its curve, its own alg) before libjwt sees it.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "infra/auth/jwk_set.hpp"
#include "proto/jwt_token.hpp"

namespace relay::infra {

struct JwtSettings {
  std::string secret;           ///< RELAY_JWT_SECRET: the HS* key.
  std::string public_key_pem;   ///< Contents of RELAY_JWT_PUBLIC_KEY_FILE: the RS*/ES* key.
  std::vector<std::string> algorithms;  ///< RELAY_JWT_ALGORITHMS: the only ones accepted.
  std::string issuer;           ///< RELAY_JWT_ISSUER: required "iss" when set.
  std::string audience;         ///< RELAY_JWT_AUDIENCE: required in "aud" when set.
  std::chrono::seconds leeway{30};  ///< RELAY_JWT_LEEWAY_S: clock skew allowed on exp/nbf.
  std::string key_id;           ///< RELAY_JWT_KEY_ID: a token naming another "kid" is refused.
  /// RELAY_JWT_JWKS_FILE, loaded: the keys chosen by a token's kid, replaced while running
  /// (infra/jwks_watcher). Set, it is the only source of keys.
  std::shared_ptr<JwkRing> jwks;
  std::string jwks_file;  ///< RELAY_JWT_JWKS_FILE: the path it is re-read from.

  [[nodiscard]] bool enabled() const {
    return !secret.empty() || !public_key_pem.empty() || jwks != nullptr;
  }
};

/// Why a token was refused; `detail` is safe to send back (it never echoes the token).
struct JwtRejection {
  enum class Reason {
    malformed,
    algorithm_not_allowed,
    unknown_key,
    bad_signature,
    expired,
    not_yet_valid,
    wrong_issuer,
    wrong_audience,
    no_expiry,
  } reason;
  std::string detail;
};

/// Tokens longer than this are refused unread (a header of that size is someone's attack).
inline constexpr std::size_t max_token_bytes = 8192;

class JwtVerifier {
 public:
  /// Checks the settings: known algorithms, a key for each family listed, a PEM key of the
  /// listed family, an HS secret of at least 32 bytes (RFC 7518 3.2); a JWKS alone, with no
  /// secret, PEM or key id beside it. The reason otherwise.
  static std::variant<JwtVerifier, std::string> create(JwtSettings settings);

  /// The token's claims, or why it is refused. `now_s`: seconds since the epoch.
  [[nodiscard]] std::variant<proto::JwtClaims, JwtRejection> verify(std::string_view token,
                                                                    std::int64_t now_s) const;

  /// How long after exp a token is still accepted (a stream's expiry is exp plus this).
  [[nodiscard]] std::chrono::seconds leeway() const { return settings_.leeway; }

 private:
  explicit JwtVerifier(JwtSettings settings) : settings_(std::move(settings)) {}
  JwtSettings settings_;
};

/// The algorithms a setting may name (libjwt 1.10's signing algorithms).
bool known_jwt_algorithm(std::string_view alg);

}  // namespace relay::infra
