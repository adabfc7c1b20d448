#pragma once
// A JSON Web Key Set (RFC 7517) turned into keys libjwt can verify with: identity providers
// publish their signing keys this way and rotate them by adding a key, moving their tokens'
// "kid" to it, then removing the old one. RSA and EC public keys are rebuilt from their JWK
// parameters with OpenSSL (EVP_PKEY_fromdata, then written as PEM); "oct" keys are HMAC
// secrets. Nothing here trusts a token: the verifier picks a key by the token's kid and
// checks that the key fits the token's alg (jwk_fits) before any signature is computed.
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay::infra {

/// One verification key of a set.
struct Jwk {
  std::string kid;    ///< "kid": how a token names it (may be empty in a set of one key)
  std::string kty;    ///< "oct", "RSA" or "EC"
  std::string alg;    ///< the key's own "alg"; empty when it names none
  std::string curve;  ///< EC: "P-256", "P-384" or "P-521"
  std::string key;    ///< oct: the secret's bytes; RSA, EC: the public key as PEM
};

using JwkSet = std::vector<Jwk>;

/// The keys of RELAY_JWT_JWKS_FILE as last loaded, shared by the verifier (which reads them
/// for each token) and the watcher (which replaces them whole when the file changes). One
/// thread runs both, so a swap of the pointer is the whole protocol; a token being checked
/// keeps the set it started with.
class JwkRing {
 public:
  [[nodiscard]] std::shared_ptr<const JwkSet> keys() const { return keys_; }
  void replace(JwkSet keys) { keys_ = std::make_shared<const JwkSet>(std::move(keys)); }

 private:
  std::shared_ptr<const JwkSet> keys_ = std::make_shared<const JwkSet>();
};

/// Most keys one set may hold: rotation needs two or three; a set of thousands is a mistake.
inline constexpr std::size_t max_jwks_keys = 64;

/// The set's keys, or why the document is refused (naming the key by index and kid). Keys
/// for another use ("use" other than "sig") are left out; a private member ("d", "p", ...)
/// refuses the document, since a private key in a shared file is a leak to report, not use.
std::variant<JwkSet, std::string> parse_jwk_set(std::string_view json);

/// parse_jwk_set of the file at `path` (at most 1 MiB); errors name the file.
std::variant<JwkSet, std::string> read_jwk_set_file(const std::string& path);

/// Whether `key` may verify a token signed with `alg`: its family (HS* oct, RS* RSA, ES* EC
/// on the alg's curve) and, when the key names one, its own alg.
bool jwk_fits(const Jwk& key, std::string_view alg);

/// The key a token with `kid` is checked with: the one with that kid, or the only key of a
/// set of one when the token names none. Null when there is none.
const Jwk* find_jwk(const JwkSet& keys, std::string_view kid);

}  // namespace relay::infra
