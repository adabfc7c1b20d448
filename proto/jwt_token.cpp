#include "proto/jwt_token.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

#include "proto/json_duplicates.hpp"

namespace relay::proto {

namespace {

constexpr std::array<std::int8_t, 256> base64url_table = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}();

// A NumericDate (RFC 7519 2) may have a fraction; the relay counts whole seconds, rounded
// down (an exp of 10.9 has passed at 10.9, and at 10 it is still valid by its leeway).
std::optional<std::int64_t> numeric_date(simdjson::dom::element value) {
  std::int64_t whole = 0;
  if (value.get(whole) == simdjson::SUCCESS) return whole;
  double real = 0;
  if (value.get(real) == simdjson::SUCCESS && std::isfinite(real) && std::abs(real) < 1e15) {
    return static_cast<std::int64_t>(std::floor(real));
  }
  return std::nullopt;
}

std::optional<std::string> read_strings(simdjson::dom::element value, std::string_view name,
                                        std::vector<std::string>& out) {
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) {
    return fmt::format("claim {} is not an array of strings", name);
  }
  for (auto item : array) {
    std::string_view text;
    if (item.get(text) != simdjson::SUCCESS || text.empty()) {
      return fmt::format("claim {} holds something other than non-empty strings", name);
    }
    if (out.size() == max_claim_entries) {
      return fmt::format("claim {} holds more than {} entries", name, max_claim_entries);
    }
    out.emplace_back(text);
  }
  return std::nullopt;
}

// `json` as an object held by `parser`, its keys each once.
std::variant<simdjson::dom::object, std::string> json_object(simdjson::dom::parser& parser,
                                                             std::string_view json,
                                                             std::string_view name) {
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return fmt::format("the {} is not JSON", name);
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return fmt::format("the {} is not a JSON object", name);
  // One meaning for everyone: a repeated key could be read differently by the issuer.
  if (auto pointer = find_duplicate_key(root)) {
    return fmt::format("the {} repeats the key at {}", name, *pointer);
  }
  return object;
}

std::optional<std::string> read_header(simdjson::dom::object object, JwtHeader& header) {
  std::string_view text;
  if (object["alg"].get(text) != simdjson::SUCCESS || text.empty()) {
    return std::string("the header has no \"alg\"");
  }
  header.alg = text;
  if (auto kid = object["kid"]; kid.error() != simdjson::NO_SUCH_FIELD) {
    if (kid.get(text) != simdjson::SUCCESS) return std::string("the header's \"kid\" is not a string");
    header.kid = text;
  }
  // RFC 7515 4.1.11: a critical extension the relay does not know must be refused.
  if (object["crit"].error() != simdjson::NO_SUCH_FIELD) {
    return std::string("the header names critical extensions (\"crit\") the relay does not know");
  }
  return std::nullopt;
}

std::optional<std::string> read_claims(simdjson::dom::object object, JwtClaims& claims) {
  for (auto field : object) {
    const auto key = field.key;
    const auto value = field.value;
    std::string_view text;
    if (key == "exp" || key == "nbf") {
      auto date = numeric_date(value);
      if (!date) return fmt::format("claim {} is not a NumericDate", key);
      (key == "exp" ? claims.exp : claims.nbf) = date;
    } else if (key == "iss" || key == "sub" || key == "scope") {
      if (value.get(text) != simdjson::SUCCESS) return fmt::format("claim {} is not a string", key);
      if (key == "iss") {
        claims.iss = text;
      } else if (key == "sub") {
        claims.sub = text;
      } else {
        while (!text.empty()) {
          const auto space = text.find(' ');
          if (space != 0) claims.scopes.emplace_back(text.substr(0, space));
          if (space == std::string_view::npos) break;
          text.remove_prefix(space + 1);
        }
      }
    } else if (key == "aud") {
      if (value.get(text) == simdjson::SUCCESS) {
        claims.aud.emplace_back(text);
      } else if (auto error = read_strings(value, "aud", claims.aud)) {
        return error;
      }
    } else if (key == "sse") {
      simdjson::dom::object sse;
      if (value.get(sse) != simdjson::SUCCESS) return std::string("claim sse is not an object");
      for (auto axis : sse) {
        std::vector<std::string>* out = axis.key == "types"     ? &claims.types
                                        : axis.key == "workers" ? &claims.workers
                                        : axis.key == "regions" ? &claims.regions
                                                                : nullptr;
        // An axis the relay does not know could be a restriction the issuer meant: refused
        // rather than ignored, so a typo never widens access.
        if (!out) return std::string("claim sse holds a member other than types, workers, regions");
        if (auto error = read_strings(axis.value, fmt::format("sse.{}", axis.key), *out)) {
          return error;
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const auto value = base64url_table[static_cast<unsigned char>(c)];
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, so each token has exactly one spelling.
  if ((buffer & ((1U << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::variant<ParsedJwt, std::string> parse_jwt(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::string("not a compact JWS: three base64url segments separated by dots");
  }
  ParsedJwt parsed;
  auto header_json = base64url_decode(token.substr(0, first));
  if (!header_json) return std::string("the header is not base64url");
  simdjson::dom::parser parser;
  auto header = json_object(parser, *header_json, "header");
  if (auto* error = std::get_if<std::string>(&header)) return *error;
  if (auto error = read_header(std::get<simdjson::dom::object>(header), parsed.header)) {
    return *error;
  }
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return std::string("the payload is not base64url");
  if (!base64url_decode(token.substr(second + 1))) return std::string("the signature is not base64url");
  parsed.payload = std::move(*payload);
  return parsed;
}

std::variant<JwtClaims, std::string> parse_claims(std::string_view payload) {
  simdjson::dom::parser parser;
  auto object = json_object(parser, payload, "payload");
  if (auto* error = std::get_if<std::string>(&object)) return *error;
  JwtClaims claims;
  if (auto error = read_claims(std::get<simdjson::dom::object>(object), claims)) return *error;
  return claims;
}

}  // namespace relay::proto
