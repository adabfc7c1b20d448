#pragma once
// Server-Sent Events wire encoding (WHATWG HTML, "Server-sent events"). Frames are
// encoded once per event and the same bytes are written to every subscriber.
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::proto {

/// True when `value` may stand on an `id:` or `event:` line: no CR, LF or NUL, which
/// would end the line early and let a producer forge fields (CWE-93).
bool is_safe_field_value(std::string_view value) noexcept;

/// One complete event: optional `id:`, `event:`, one `data:` line per line of `data`
/// (split on CRLF, CR or LF, as the parser joins them back with LF), blank line.
/// Throws std::invalid_argument when `id` or `event` is not a safe field value.
std::string encode_event(std::string_view id, std::string_view event, std::string_view data);

/// Same as encode_event, appending to `out` (lets callers prepend a `retry:` line).
void append_event(std::string& out, std::string_view id, std::string_view event,
                  std::string_view data);

/// `retry: <ms>` on its own: tells EventSource how long to wait before reconnecting.
std::string encode_retry(std::uint32_t retry_ms);

/// A comment line (`: text`) that clients ignore; used to flush proxies.
std::string encode_comment(std::string_view text);

}  // namespace relay::proto
