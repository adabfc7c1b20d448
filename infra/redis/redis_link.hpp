#pragma once
// The bus's command connection kept up (DESIGN 7): opens connections (AUTH, SELECT, a PING
// that proves Redis answers), and drives the LinkMachine: reconnect with jittered backoff
// when the connection fails, woken by the failure itself, never by polling.
#include <chrono>
#include <memory>
#include <random>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "infra/redis/bus_stats.hpp"
#include "infra/redis/link_machine.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/redis/redis_connection.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::infra {

using OpenedConnection = std::variant<std::shared_ptr<RedisConnection>, boost::system::error_code>;

/// "host:port" ("[::1]:6379" for an IPv6 host): how logs and /readyz name the bus.
std::string address_of(const RedisBusConfig& config);

class RedisLink : public std::enable_shared_from_this<RedisLink> {
 public:
  /// `stats`: where reconnects are counted.
  RedisLink(boost::asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
            service::Logger& logger, std::shared_ptr<BusStats> stats);

  /// A new connection, authenticated, on its database, answering: or why it is not.
  boost::asio::awaitable<OpenedConnection> open();
  /// One attempt to (re)open the command connection.
  boost::asio::awaitable<boost::system::error_code> connect();
  /// Keeps the command connection up until close() (spawn it once).
  boost::asio::awaitable<void> run();
  void close();

  /// The command connection (possibly a failed one: its commands then answer the error).
  [[nodiscard]] const std::shared_ptr<RedisConnection>& commands() const { return commands_; }
  [[nodiscard]] bool up() const { return commands_->connected(); }
  [[nodiscard]] LinkReadiness readiness() const;
  [[nodiscard]] std::uint64_t reconnects() const { return machine_.reconnects(); }

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<const RedisBusConfig> config_;
  service::Logger& logger_;
  std::shared_ptr<BusStats> stats_;
  LinkMachine machine_;
  std::shared_ptr<RedisConnection> commands_;
  std::minstd_rand random_{std::random_device{}()};
};

}  // namespace relay::infra
