#pragma once
// RFC 3339 timestamps for envelopes: clocks are injected, so this takes milliseconds.
#include <cstdint>
#include <string>

namespace relay::proto {

/// "2026-11-23T22:01:00.123Z" for `unix_ms` milliseconds since the epoch (UTC).
std::string format_rfc3339_ms(std::uint64_t unix_ms);

}  // namespace relay::proto
