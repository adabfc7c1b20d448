#pragma once
// Minimal JSON writing for the small, fixed-shape documents the relay emits
// (envelopes, relay events, problems, stats). Values are appended to a string.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::proto {

/// Appends `text` as a JSON string literal (quotes included). Control characters are
/// escaped; valid UTF-8 passes through unchanged; each ill-formed byte becomes U+FFFD, so the
/// output is valid JSON whatever the input.
void append_json_string(std::string& out, std::string_view text);

/// Length of the well-formed UTF-8 sequence at `text[at]` (1-4), or 0 when it is ill-formed
/// (a stray continuation, an overlong form, a surrogate, beyond U+10FFFF, or cut short).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

/// Builds one JSON object field by field: `{"a":1,"b":"x"}`.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }

  JsonObjectWriter& string(std::string_view key, std::string_view value);
  /// Writes null when `value` is empty: optional attributes stay present in the shape.
  JsonObjectWriter& string_or_null(std::string_view key, std::string_view value);
  JsonObjectWriter& number(std::string_view key, std::int64_t value);
  JsonObjectWriter& unsigned_number(std::string_view key, std::uint64_t value);
  JsonObjectWriter& boolean(std::string_view key, bool value);
  /// Inserts `json` verbatim: the caller guarantees it is one valid JSON value.
  JsonObjectWriter& raw(std::string_view key, std::string_view json);
  /// Closes the object; no further fields may be written.
  void close() { out_.push_back('}'); }

 private:
  void key(std::string_view k);
  std::string& out_;
  bool first_ = true;
};

}  // namespace relay::proto
