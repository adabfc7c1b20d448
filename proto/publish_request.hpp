#pragma once
// The body of POST /api/events: a generic event {type, data, key?} for non-worker dashboards.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace relay::proto {

/// A validated generic publish.
struct PublishRequest {
  std::string type;       ///< SSE event type, already checked by event_type_error.
  std::string data_json;  ///< The `data` value, minified.
  std::string key;        ///< Optional conflation key; empty when absent.
};

/// Why a body was refused: `invalid_json` for unparsable bodies, otherwise the field
/// (as a JSON Pointer) and what is wrong with it.
struct PublishRequestError {
  bool invalid_json = false;
  std::string pointer;
  std::string detail;
};

/// Longest accepted conflation key.
inline constexpr std::size_t max_key_length = 256;

/// Longest Idempotency-Key accepted (DESIGN 4.3).
inline constexpr std::size_t max_idempotency_key_length = 255;

/// Why an Idempotency-Key value is refused, or nullopt: it must be 1-255 visible ASCII
/// characters (%x21-7E), so it is stored, logged and compared as exactly what was sent.
std::optional<std::string> idempotency_key_problem(std::string_view value);

/// Parses and validates a publish body with simdjson.
std::variant<PublishRequest, PublishRequestError> parse_publish_request(std::string_view body);

}  // namespace relay::proto
