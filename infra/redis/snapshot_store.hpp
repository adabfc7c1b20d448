#pragma once
// The bus snapshot (DESIGN 7): a hash beside the stream holding one replica's projection as
// of an id (with the epoch and ordinal it was taken under). Any replica writes it with a
// compare-and-set that never moves it back; a starting or rebuilding replica folds on from it.
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "domain/event_id.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/redis/redis_connection.hpp"

namespace relay::infra {

struct BusSnapshot {
  std::optional<domain::EventId> id;  ///< nullopt: there is none
  std::string epoch;
  std::optional<std::uint64_t> ordinal;
  std::string data;
};

/// The stored snapshot; nullopt when Redis did not answer.
boost::asio::awaitable<std::optional<BusSnapshot>> load_snapshot(RedisConnection& connection,
                                                                 const BusKeys& keys);

/// The stored snapshot's id and epoch only (data left in Redis); nullopt: no answer.
boost::asio::awaitable<std::optional<BusSnapshot>> peek_snapshot(RedisConnection& connection,
                                                                 const BusKeys& keys);

enum class SnapshotStored { written, not_newer, epoch_changed, failed };

boost::asio::awaitable<SnapshotStored> store_snapshot(RedisConnection& connection,
                                                      const BusKeys& keys,
                                                      const BusSnapshot& snapshot);

}  // namespace relay::infra
