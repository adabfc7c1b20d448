#include "proto/sse_encoder.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace relay::proto {

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
  // Every line terminator the parser accepts (CRLF, CR, LF) starts a new data: line,
  // so the payload can never smuggle an id:, event: or blank line of its own.
  std::size_t start = 0;
  for (;;) {
    const auto end = data.find_first_of("\r\n", start);
    out.append("data: ").append(data.substr(start, end - start)).push_back('\n');
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
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
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find_first_of("\r\n", start);
    out.append(": ").append(text.substr(start, end - start)).push_back('\n');
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out.push_back('\n');
  return out;
}

}  // namespace relay::proto
