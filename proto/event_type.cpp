#include "proto/event_type.hpp"

#include <fmt/format.h>

namespace relay::proto {

std::optional<std::string> event_type_error(std::string_view type) {
  if (type.empty()) return "must not be empty";
  if (type.size() > max_event_type_length) {
    return fmt::format("must be at most {} characters", max_event_type_length);
  }
  for (char c : type) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) {
      return "may contain only letters, digits and . _ - : (no spaces, CR, LF or NUL)";
    }
  }
  if (type == "connected" || type == "heartbeat" || type.starts_with("system.")) {
    return fmt::format("'{}' is reserved for the relay's own events", type);
  }
  return std::nullopt;
}

}  // namespace relay::proto
