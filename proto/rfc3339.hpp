#pragma once
// RFC 3339 timestamps for envelopes: clocks are injected, so this takes milliseconds.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::proto {

/// "2026-11-23T22:01:00.123Z" for `unix_ms` milliseconds since the epoch (UTC).
std::string format_rfc3339_ms(std::uint64_t unix_ms);

/// Milliseconds since the epoch of an RFC 3339 date-time ("2026-11-23T22:01:00Z",
/// fractions and numeric offsets accepted; digits past milliseconds are truncated), or
/// nullopt when it is not one or lies before 1970.
std::optional<std::uint64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace relay::proto
