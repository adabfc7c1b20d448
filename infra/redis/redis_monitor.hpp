#pragma once
// Watches the bus from the command connection (DESIGN 7): every probe_interval one probe
// script reads the epoch, the newest id and the entry count; the lag figures come from it,
// and a loss it notices (a FLUSHALL while nothing is appended, so the tail reads nothing)
// makes the tail settle again.
#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "infra/redis/bus_probe.hpp"
#include "infra/redis/bus_stats.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/redis/redis_connection.hpp"
#include "infra/redis/redis_link.hpp"
#include "infra/redis/redis_tailer.hpp"
#include "service/event_log.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::infra {

/// One probe script run; nullopt when Redis did not answer (logged when it refused).
boost::asio::awaitable<std::optional<BusProbe>> probe_bus(RedisConnection& connection,
                                                          const BusKeys& keys,
                                                          service::Logger& logger);

class RedisMonitor : public std::enable_shared_from_this<RedisMonitor> {
 public:
  RedisMonitor(boost::asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
               std::shared_ptr<const RedisLink> link, std::shared_ptr<RedisTailer> tail, service::Logger& logger,
               std::shared_ptr<BusStats> stats);

  /// Probes until close() (spawn it once).
  boost::asio::awaitable<void> run();
  void close() { closed_ = true; }

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<const RedisBusConfig> config_;
  BusKeys keys_;
  std::shared_ptr<const RedisLink> link_;
  std::shared_ptr<RedisTailer> tail_;
  service::Logger& logger_;
  std::shared_ptr<BusStats> stats_;
  bool lag_reported_ = false;  ///< One log line per spell of lag.
  bool closed_ = false;
};

}  // namespace relay::infra
