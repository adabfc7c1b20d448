#pragma once
// Rules for SSE event type names a producer may publish.
#include <optional>
#include <string>
#include <string_view>

namespace relay::proto {

/// Longest accepted event type.
inline constexpr std::size_t max_event_type_length = 128;

/// Why `type` cannot be published, or nullopt when it can. Accepted: 1-128 characters of
/// [A-Za-z0-9._:-] (so no CR, LF, NUL or spaces can reach an `event:` line), and not one of
/// the relay's own types (`connected`, `heartbeat`, `system.*`), which a producer could
/// otherwise forge.
std::optional<std::string> event_type_error(std::string_view type);

}  // namespace relay::proto
