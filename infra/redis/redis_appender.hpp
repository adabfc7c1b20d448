#pragma once
// The write side of the bus (DESIGN 7): a batch goes to Redis as one append script (dedupe
// by CloudEvents (source, id) and Idempotency-Key, XADD with ordinals, the epoch created with
// the first entry), then WAIT for Redis replicas when configured. What to send and how to
// read the answer are pure functions, unit-tested without Redis.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/redis/bus_stats.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/redis/redis_connection.hpp"
#include "infra/redis/redis_link.hpp"
#include "service/event_log.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::infra {

/// The append script's KEYS and ARGV for `records` (after EVALSHA/EVAL and the sha).
std::vector<std::string> append_arguments(const BusKeys& keys, const RedisBusConfig& config,
                                          const std::vector<service::LogRecord>& records,
                                          std::string new_epoch);

/// The script's answer {stored, {ids}} for `records` records; nullopt when it is not one
/// (an error reply, a wrong shape, an id that does not parse: stored or not, no answer may
/// guess an id).
std::optional<service::AppendResult> read_append_reply(const RedisValue& reply, std::size_t records);

class RedisAppender {
 public:
  RedisAppender(std::shared_ptr<const RedisBusConfig> config, std::shared_ptr<const RedisLink> link, service::Logger& logger,
                std::shared_ptr<BusStats> stats);

  boost::asio::awaitable<service::AppendResult> append(std::vector<service::LogRecord> records);
  boost::asio::awaitable<service::LookupResult> lookup(const std::vector<std::string>& keys);

 private:
  /// Runs the append script, loading it first when Redis does not know it (NOSCRIPT).
  boost::asio::awaitable<RedisResult> run_script(std::shared_ptr<RedisConnection> connection,
                                                 std::vector<std::string> args);
  /// WAIT for config.wait_replicas; true when they confirmed.
  boost::asio::awaitable<bool> replicated(const std::shared_ptr<RedisConnection>& connection);

  std::shared_ptr<const RedisBusConfig> config_;
  BusKeys keys_;
  std::shared_ptr<const RedisLink> link_;
  service::Logger& logger_;
  std::shared_ptr<BusStats> stats_;
  std::string script_sha_;
};

}  // namespace relay::infra
