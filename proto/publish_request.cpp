#include "proto/publish_request.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include "proto/event_type.hpp"
#include "proto/json_duplicates.hpp"

namespace relay::proto {

std::variant<PublishRequest, PublishRequestError> parse_publish_request(std::string_view body) {
  // The DOM parser validates the whole document (including UTF-8) before we look at it.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(body.data(), body.size()).get(doc); error) {
    return PublishRequestError{
        true, "", fmt::format("body is not valid JSON: {}", simdjson::error_message(error))};
  }
  if (auto repeated = find_duplicate_key(doc)) {
    return PublishRequestError{false, *repeated, "appears twice in its object; each key once"};
  }
  simdjson::dom::object object;
  if (doc.get(object) != simdjson::SUCCESS) {
    return PublishRequestError{false, "", "body must be a JSON object {type, data, key?}"};
  }

  PublishRequest request;
  simdjson::dom::element type;
  if (object.at_key("type").get(type) != simdjson::SUCCESS) {
    return PublishRequestError{false, "/type", "is required"};
  }
  std::string_view type_text;
  if (type.get(type_text) != simdjson::SUCCESS) {
    return PublishRequestError{false, "/type", "must be a string"};
  }
  if (auto why = event_type_error(type_text)) {
    return PublishRequestError{false, "/type", *why};
  }
  request.type = type_text;

  simdjson::dom::element data;
  if (object.at_key("data").get(data) != simdjson::SUCCESS) {
    return PublishRequestError{false, "/data", "is required (any JSON value, null included)"};
  }
  request.data_json = simdjson::minify(data);

  simdjson::dom::element key;
  if (object.at_key("key").get(key) == simdjson::SUCCESS && !key.is_null()) {
    std::string_view key_text;
    if (key.get(key_text) != simdjson::SUCCESS) {
      return PublishRequestError{false, "/key", "must be a string"};
    }
    if (key_text.empty() || key_text.size() > max_key_length) {
      return PublishRequestError{false, "/key",
                                 fmt::format("must be 1-{} characters", max_key_length)};
    }
    // As worker ids: a key is matched by ?worker= and shown in logs and envelopes, where a
    // line break or a NUL has no business (found by fuzz_publish_request).
    for (unsigned char c : key_text) {
      if (c < 0x20 || c == 0x7f) {
        return PublishRequestError{false, "/key", "must not contain control characters"};
      }
    }
    request.key = key_text;
  }
  return request;
}

std::optional<std::string> idempotency_key_problem(std::string_view value) {
  if (value.empty()) return std::string("Idempotency-Key is empty");
  if (value.size() > max_idempotency_key_length) {
    return fmt::format("Idempotency-Key is longer than {} characters", max_idempotency_key_length);
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) {
      return std::string("Idempotency-Key holds a character that is not visible ASCII (%x21-7E)");
    }
  }
  return std::nullopt;
}

}  // namespace relay::proto
