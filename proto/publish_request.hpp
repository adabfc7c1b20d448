#pragma once
// The body of POST /api/events: a generic event {type, data, key?} for non-worker dashboards.
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

/// Parses and validates a publish body with simdjson.
std::variant<PublishRequest, PublishRequestError> parse_publish_request(std::string_view body);

}  // namespace relay::proto
