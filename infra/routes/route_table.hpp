#pragma once
// The paths of the HTTP contract (DESIGN 4) and the methods each one takes: what the router
// answers 405 and OPTIONS from.
#include <string_view>

namespace relay::infra {

namespace route {
inline constexpr std::string_view stream = "/api/events/stream";
inline constexpr std::string_view publish = "/api/events";
inline constexpr std::string_view stats = "/api/events/stats";
inline constexpr std::string_view metrics = "/metrics";
inline constexpr std::string_view healthz = "/healthz";
inline constexpr std::string_view readyz = "/readyz";
inline constexpr std::string_view domain_events = "/api/domain-events";
inline constexpr std::string_view workers = "/api/workers";
inline constexpr std::string_view worker_prefix = "/api/workers/";
}  // namespace route

/// The path of a request target, without its query.
std::string_view target_path(std::string_view target);

/// The methods `path` takes ("GET, HEAD, OPTIONS"), empty for a path the relay does not know.
std::string_view allowed_methods(std::string_view path);

}  // namespace relay::infra
