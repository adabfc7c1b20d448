#pragma once
// The EventLog on a Redis Stream (RELAY_BUS=redis://..., DESIGN 7): every replica appends to
// and tails the same stream, so ids, aggregates and frames agree everywhere. This class only
// composes the parts, each with one job:
// - RedisLink (link_machine): the command connection, reconnects, readiness grace;
// - RedisAppender: the append script (dedupe, ordinals, epoch) and WAIT;
// - RedisTailer (tail_judge): the tail on its own connection, gaps, wipes and rewinds,
//   rebuilds from the snapshot, checkpoints (service/checkpoint_cadence);
// - RedisMonitor (bus_probe): lag figures and losses seen while nothing is appended.
// Their loops run in one LoopGroup: cancelled together on close(), each ending logged.
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "infra/redis/redis_appender.hpp"
#include "infra/redis/bus_stats.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/redis/redis_link.hpp"
#include "infra/redis/redis_monitor.hpp"
#include "infra/redis/redis_tailer.hpp"
#include "service/event_log.hpp"
#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"
#include "service/loop_group.hpp"

namespace relay::infra {

class RedisEventLog final : public service::EventLog, public service::HostedService {
 public:
  RedisEventLog(boost::asio::any_io_executor executor, RedisBusConfig config,
                service::Logger& logger);
  ~RedisEventLog() override;
  RedisEventLog(const RedisEventLog&) = delete;
  RedisEventLog& operator=(const RedisEventLog&) = delete;

  /// Connects the command connection once (the tail connects when tail() is called).
  boost::asio::awaitable<boost::system::error_code> connect();
  /// Keeps the command connection up from now on: connects, and reconnects with jittered
  /// backoff whenever it drops, until close(). Appends meanwhile answer bus_unavailable.
  void keep_connected();
  /// Ends every loop and closes both connections.
  void close();

  // service::HostedService: started first and stopped last, so the relay drains its streams
  // while the bus is still there.
  [[nodiscard]] std::string_view name() const override { return "redis-bus"; }
  void start() override { keep_connected(); }
  boost::asio::awaitable<void> stop() override {
    close();
    co_return;
  }

  boost::asio::awaitable<service::AppendResult> append(
      std::vector<service::LogRecord> records) override;
  boost::asio::awaitable<service::LookupResult> lookup(
      const std::vector<std::string>& keys) override;
  void tail(domain::EventId after, service::EventTailer& tailer) override;
  boost::asio::awaitable<std::vector<service::StoredEvent>> read(domain::EventId after,
                                                                 std::size_t max) override;
  /// The stream's newest entry id (XREVRANGE, under the command deadline).
  [[nodiscard]] boost::asio::awaitable<std::optional<domain::EventId>> newest_stored()
      const override;
  /// Ready when the command connection is up (or lost for less than the grace) and the tail
  /// has read everything the stream held when it (re)connected.
  [[nodiscard]] service::LogHealth health() const override;

  /// The bus's figures, kept current by the parts (for /metrics and /api/events/stats).
  [[nodiscard]] const BusStats& stats() const { return *stats_; }
  /// The epoch of what this replica folded ("" before it knew one).
  [[nodiscard]] const std::string& epoch() const { return tailer_->state().epoch; }

 private:
  // Declared first, destroyed last: the parts' loops hold shares of the parts, and the parts
  // refer to these.
  std::shared_ptr<const RedisBusConfig> config_;
  std::shared_ptr<BusStats> stats_;
  service::LoopGroup loops_;
  /// The snapshot encoder's thread. Destroyed before the parts' loops can reach it: a loop
  /// checks that the log is closed before it hands the encoder a job (both on the io thread),
  /// and the destructor waits for a job under way.
  boost::asio::thread_pool encoder_{1};
  /// The appender keeps, the tailer takes: the records this replica appended.
  std::shared_ptr<CarriedRecords> carried_;
  std::shared_ptr<RedisLink> link_;
  RedisAppender appender_;
  std::shared_ptr<RedisTailer> tailer_;
  std::shared_ptr<RedisMonitor> monitor_;
  bool keeping_connected_ = false;
};

}  // namespace relay::infra
