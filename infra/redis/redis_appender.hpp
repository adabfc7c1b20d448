#pragma once
// The write side of the bus (DESIGN 7): appends go to Redis in groups (group_commit: those
// that arrive while one group is in flight form the next), a group as one append script
// (dedupe by CloudEvents (source, id) and Idempotency-Key, XADD with ordinals, the epoch
// created with the first entry), then WAIT for Redis replicas when configured. What to send
// and how to read the answer are pure functions, unit-tested without Redis.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/redis/bus_stats.hpp"
#include "infra/redis/carried_records.hpp"
#include "infra/redis/group_commit.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/redis/redis_connection.hpp"
#include "infra/redis/redis_link.hpp"
#include "service/event_log.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::infra {

/// Whether `records` go with the append_plain script (v2 entries, no dedupe key among them).
bool plain_group(const RedisBusConfig& config, const std::vector<service::LogRecord>& records);

/// EVALSHA `sha` of the append script with its KEYS and ARGV for `records`: append_plain's
/// when `plain` (what plain_group answered for them), else append's.
std::vector<std::string> append_call(std::string_view sha, const BusKeys& keys, const RedisBusConfig& config,
                                     const std::vector<service::LogRecord>& records, std::string new_epoch,
                                     bool plain);

/// The script's answer {flags, {ids}} for `records` records; nullopt when it is not one
/// (an error reply, a wrong shape, an id that does not parse: stored or not, no answer may
/// guess an id).
std::optional<GroupAnswer> read_append_reply(const RedisValue& reply, std::size_t records);

class RedisAppender {
 public:
  RedisAppender(boost::asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
                std::shared_ptr<const RedisLink> link, service::Logger& logger, std::shared_ptr<BusStats> stats,
                std::shared_ptr<CarriedRecords> carried);

  /// Stores `records` with the next group.
  boost::asio::awaitable<service::AppendResult> append(std::vector<service::LogRecord> records);
  boost::asio::awaitable<service::LookupResult> lookup(const std::vector<std::string>& keys);

 private:
  /// One group: the script, then WAIT.
  boost::asio::awaitable<GroupAnswer> commit(std::vector<service::LogRecord> records);
  /// Runs the append script, loading it first when Redis does not know it (NOSCRIPT).
  boost::asio::awaitable<RedisResult> run_script(const std::shared_ptr<RedisConnection>& connection,
                                                 const std::vector<service::LogRecord>& records);
  /// WAIT for config.wait_replicas; true when they confirmed.
  boost::asio::awaitable<bool> replicated(const std::shared_ptr<RedisConnection>& connection);

  std::shared_ptr<const RedisBusConfig> config_;
  BusKeys keys_;
  std::shared_ptr<const RedisLink> link_;
  service::Logger& logger_;
  std::shared_ptr<BusStats> stats_;
  std::shared_ptr<CarriedRecords> carried_;  ///< What was appended, for this replica's tail.
  std::string script_sha_;  ///< scripts::append, once loaded
  std::string plain_sha_;   ///< scripts::append_plain, once loaded
  GroupCommit groups_;
};

}  // namespace relay::infra
