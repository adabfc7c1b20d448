#include "infra/redis/snapshot_store.hpp"

#include "infra/config/config_values.hpp"
#include "infra/redis/redis_scripts.hpp"
#include "infra/redis/stream_entry.hpp"

namespace relay::infra {

namespace asio = boost::asio;

asio::awaitable<std::optional<BusSnapshot>> load_snapshot(RedisConnection& connection,
                                                          const BusKeys& keys) {
  std::vector<std::string> get{"HMGET", keys.snapshot, "id", "epoch", "n", "data"};
  auto reply = co_await connection.command(std::move(get));
  const auto* fields = std::get_if<RedisValue>(&reply);
  if (fields == nullptr || fields->is_error() || fields->elements.size() != 4) co_return std::nullopt;
  auto& f = fields->elements;
  co_return BusSnapshot{id_in(f[0]), f[1].text, parse_uint(f[2].text), std::move(f[3].text)};
}

asio::awaitable<std::optional<BusSnapshot>> peek_snapshot(RedisConnection& connection,
                                                          const BusKeys& keys) {
  std::vector<std::string> get{"HMGET", keys.snapshot, "id", "epoch"};
  auto reply = co_await connection.command(std::move(get));
  const auto* fields = std::get_if<RedisValue>(&reply);
  if (fields == nullptr || fields->is_error() || fields->elements.size() != 2) co_return std::nullopt;
  co_return BusSnapshot{id_in(fields->elements[0]), fields->elements[1].text, std::nullopt, {}};
}

asio::awaitable<SnapshotStored> store_snapshot(RedisConnection& connection, const BusKeys& keys,
                                               const BusSnapshot& snapshot) {
  if (!snapshot.id || !snapshot.ordinal) co_return SnapshotStored::failed;
  std::vector<std::string> args{"EVAL",
                                std::string(scripts::store_snapshot),
                                "2",
                                keys.snapshot,
                                keys.epoch,
                                snapshot.id->to_string(),
                                snapshot.epoch,
                                std::to_string(*snapshot.ordinal),
                                snapshot.data};
  auto written = co_await connection.command(std::move(args));
  const auto* answer = std::get_if<RedisValue>(&written);
  if (answer == nullptr || answer->kind != RedisValue::Kind::integer) co_return SnapshotStored::failed;
  if (answer->integer == 1) co_return SnapshotStored::written;
  if (answer->integer == 0) co_return SnapshotStored::not_newer;
  co_return SnapshotStored::epoch_changed;
}

}  // namespace relay::infra
