#pragma once
// W3C Trace Context `traceparent` (version 00): what may travel into an envelope.
#include <string_view>

namespace relay::proto {

/// True for "00-<32 hex trace id, not all zero>-<16 hex parent id, not all zero>-<2 hex flags>"
/// in lower case, as the spec requires; anything else is ignored, never an error.
bool is_valid_traceparent(std::string_view value);

}  // namespace relay::proto
