#pragma once
// The query of GET /api/events/stream: ?types=, ?worker= (both repeatable and
// comma-separated) and ?since=<id>.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay::infra {

/// Longest request target of a stream (path and query), in bytes.
inline constexpr std::size_t max_stream_target_bytes = 4096;

struct StreamQuery {
  std::vector<std::string> types;
  std::vector<std::string> workers;
  std::optional<std::string> since;
};

/// Parses the request target (origin form, e.g. "/api/events/stream?types=a.*") with
/// Boost.URL; percent-decoding included. Unknown parameters are ignored (cache busters).
std::variant<StreamQuery, std::string> parse_stream_query(std::string_view target);

}  // namespace relay::infra
