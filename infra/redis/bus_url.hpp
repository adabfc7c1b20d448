#pragma once
// RELAY_BUS: `memory` (the embedded log) or `redis://[user:pass@]host[:port][/db]`.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "infra/redis/redis_bus_config.hpp"

namespace relay::infra {

/// nullopt for `memory`; the Redis settings for a redis:// URL (stream and limits keep their
/// defaults); or a sentence naming what is wrong.
std::variant<std::optional<RedisBusConfig>, std::string> parse_bus_url(std::string_view text);

}  // namespace relay::infra
