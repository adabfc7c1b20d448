#pragma once
// One XRANGE/XREAD entry ([id, [field, value, ...]]) as the tail sees it: its id, its ordinal
// and the record, or why the record cannot be read. Pure; the tail counts and logs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "domain/event_id.hpp"
#include "infra/redis/redis_connection.hpp"
#include "service/event_log.hpp"

namespace relay::infra {

struct StreamEntry {
  std::optional<domain::EventId> id;       ///< nullopt: not an entry at all
  std::optional<std::uint64_t> ordinal;    ///< its `n` field; nullopt for entries without one
  std::optional<service::StoredEvent> event;  ///< nullopt: not readable (see `problem`)
  std::string problem;
};

/// The entry's ordinal alone (read before anything is decoded: the tail judges ordinals first).
std::optional<std::uint64_t> ordinal_of(const RedisValue& entry);

/// Decodes `entry`. One holding more than `max_bytes` of field data was not written by a
/// relay (its ingest refuses such bodies): nothing of it is copied or parsed.
StreamEntry decode_entry(const RedisValue& entry, std::size_t max_bytes);

/// The id in a reply element, if it is one ("" and "0-0" are none).
std::optional<domain::EventId> id_in(const RedisValue& value);

}  // namespace relay::infra
