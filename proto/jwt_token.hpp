#pragma once
// A compact JWS (RFC 7515) taken apart, and the claims the relay reads (RFC 7519 and the
// relay's own "sse" object, DESIGN 8), with no cryptography: infra's JwtVerifier checks the
// algorithm against its pinned list, then the signature, then these claims.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay::proto {

/// The JOSE header fields the relay looks at.
struct JwtHeader {
  std::string alg;
  std::string kid;  ///< Empty when the token names no key.
};

/// The registered claims the relay checks and the ones it grants access by.
struct JwtClaims {
  std::optional<std::int64_t> exp;  ///< Seconds since the epoch.
  std::optional<std::int64_t> nbf;
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;     ///< "aud" as a string or an array, always a list here.
  std::vector<std::string> scopes;  ///< "scope", space-separated (RFC 8693 4.2).
  /// "sse": {"types": [...], "workers": [...], "regions": [...]}; an absent or empty array
  /// is no restriction on that axis.
  std::vector<std::string> types;
  std::vector<std::string> workers;
  std::vector<std::string> regions;
};

/// A token taken apart: its header read, its payload decoded but not yet interpreted (the
/// verifier reads claims only from a token whose signature holds).
struct ParsedJwt {
  JwtHeader header;
  std::string payload;
};

/// Entries an "sse" array may hold (the subscription filter's own bound).
inline constexpr std::size_t max_claim_entries = 64;

/// Base64url without padding (RFC 7515 2); nullopt for any other character or length.
std::optional<std::string> base64url_decode(std::string_view text);

/// Splits `token` into its three segments, reads the header and decodes the payload. Returns
/// why it is not a token: not three segments, bad base64url, a header that is not a JSON
/// object with an "alg". The signature is not looked at (an empty one, as "alg": "none" has,
/// is left for the algorithm check to refuse).
std::variant<ParsedJwt, std::string> parse_jwt(std::string_view token);

/// The claims of a decoded payload; why not: not a JSON object, a repeated key, a claim of
/// the wrong type, an unknown member of "sse".
std::variant<JwtClaims, std::string> parse_claims(std::string_view payload);

}  // namespace relay::proto
