// libFuzzer target: a bearer token as an attacker writes it (header, cookie or query), taken
// apart before any key is used. Invariants: never crashes; a parsed token has an alg; what
// the "sse" claim of any payload grants stays within the bound a subscription filter holds;
// base64url decoding accepts exactly one spelling (re-encoding what it decoded gives the
// input back).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../support/base64url.hpp"
#include "proto/jwt_token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  auto parsed = relay::proto::parse_jwt(input);
  if (const auto* token = std::get_if<relay::proto::ParsedJwt>(&parsed)) {
    if (token->header.alg.empty()) std::abort();
  }
  // The claims reader on the raw input as a payload (the verifier reaches it only for a
  // signed token, but it must hold for anything).
  const auto read = relay::proto::parse_claims(input);
  if (const auto* claims = std::get_if<relay::proto::JwtClaims>(&read)) {
    const auto& c = *claims;
    if (c.types.size() > relay::proto::max_claim_entries ||
        c.workers.size() > relay::proto::max_claim_entries ||
        c.regions.size() > relay::proto::max_claim_entries) {
      std::abort();
    }
  }
  if (auto decoded = relay::proto::base64url_decode(input); decoded && relay::test::base64url_encode(*decoded) != input) {
    std::abort();
  }
  return 0;
}
