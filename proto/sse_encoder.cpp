#include "proto/sse_encoder.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace relay::proto {

namespace {

// Writes `prefix` + line + LF for every line of `text`. Every terminator an SSE parser
// accepts (CRLF, CR, LF) ends a line, so nothing in `text` can end the field early.
void append_lines(std::string& out, std::string_view prefix, std::string_view text) {
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find_first_of("\r\n", start);
    out.append(prefix).append(text.substr(start, end - start)).push_back('\n');
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (text[end] == '\r' && start < text.size() && text[start] == '\n') ++start;
  }
}

}  // namespace

bool is_safe_field_value(std::string_view value) noexcept {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void append_event(std::string& out, std::string_view id, std::string_view event,
                  std::string_view data) {
  if (!is_safe_field_value(id)) throw std::invalid_argument("SSE id contains CR, LF or NUL");
  if (!is_safe_field_value(event)) throw std::invalid_argument("SSE event contains CR, LF or NUL");
  out.reserve(out.size() + id.size() + event.size() + data.size() + 32);
  if (!id.empty()) {
    out.append("id: ").append(id).push_back('\n');
  }
  if (!event.empty()) {
    out.append("event: ").append(event).push_back('\n');
  }
  // The payload can never smuggle an id:, event: or blank line of its own.
  append_lines(out, "data: ", data);
  out.push_back('\n');
}

std::string encode_event(std::string_view id, std::string_view event, std::string_view data) {
  std::string out;
  append_event(out, id, event, data);
  return out;
}

std::string encode_retry(std::uint32_t retry_ms) { return fmt::format("retry: {}\n\n", retry_ms); }

std::string encode_comment(std::string_view text) {
  std::string out;
  append_lines(out, ": ", text);
  out.push_back('\n');
  return out;
}

}  // namespace relay::proto
