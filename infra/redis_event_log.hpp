#pragma once
// The EventLog on a Redis Stream (RELAY_BUS=redis://..., DESIGN 7): every replica appends to
// and tails the same stream, so ids, aggregates and frames agree everywhere.
// - append: one Lua script per request, atomic: per record a dedupe key is looked up (and
//   within the batch), new records are XADDed (MAXLEN ~ retention) and their dedupe keys set
//   with a TTL; every record's id comes back in order, original ids for retries.
// - tail: a connection of its own, XREAD BLOCK from the last id delivered.
// - read: XRANGE after an id, bounded (replay older than a replica's memory).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "infra/redis_connection.hpp"
#include "service/event_log.hpp"
#include "service/hosted_service.hpp"
#include "service/logger.hpp"

namespace relay::infra {

/// Where the stream lives and how it is bounded.
struct RedisBusConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string user;      ///< AUTH user (empty: AUTH with the password alone, if any)
  std::string password;  ///< AUTH password (empty: no AUTH)
  unsigned database = 0;  ///< SELECT
  std::string stream = "sse-relay:events";  ///< RELAY_BUS_STREAM
  std::uint64_t max_length = 1'000'000;      ///< RELAY_BUS_MAXLEN: XADD MAXLEN ~ this
  std::uint64_t dedupe_ttl_s = 86'400;       ///< RELAY_BUS_DEDUPE_TTL_S: retry window
  std::chrono::milliseconds connect_timeout{2000};
  /// How long a lost connection may stay lost before /readyz says so: a blip does not pull
  /// every replica out of the balancer at once (appends still answer 503 meanwhile).
  std::chrono::milliseconds ready_grace{2000};
  std::chrono::milliseconds block{5000};  ///< XREAD BLOCK: how long one tail read waits
  std::size_t tail_batch = 512;           ///< XREAD COUNT
};

class RedisEventLog final : public service::EventLog, public service::HostedService {
 public:
  RedisEventLog(boost::asio::any_io_executor executor, RedisBusConfig config,
                service::Logger& logger);
  ~RedisEventLog() override;

  /// Connects the command connection (the tail connects when tail() is called).
  boost::asio::awaitable<boost::system::error_code> connect();
  /// Keeps the command connection up from now on: connects, and reconnects with jittered
  /// backoff whenever it drops, until close(). Appends meanwhile answer bus_unavailable.
  void keep_connected();
  /// Ends the tail and closes both connections.
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
  /// Ready when the command connection is up and the tail has read everything the stream
  /// held when it (re)connected.
  [[nodiscard]] service::LogHealth health() const override;

  /// Entries the tail could not decode (logged each; never delivered as something else).
  [[nodiscard]] std::uint64_t undecodable() const { return undecodable_; }

 private:
  boost::asio::awaitable<void> tail_loop(domain::EventId after, service::EventTailer& tailer);
  /// Runs the append script, loading it first when Redis does not know it (NOSCRIPT).
  boost::asio::awaitable<RedisResult> run_script(std::vector<std::string> args);
  /// Decodes one XRANGE/XREAD entry [id, [f, v, ...]]; nullopt (logged) when it cannot.
  std::optional<service::StoredEvent> decode_entry(const RedisValue& entry);
  /// A new connection, authenticated and on its database; the error when it cannot be.
  boost::asio::awaitable<std::variant<std::shared_ptr<RedisConnection>, boost::system::error_code>>
  open_connection();
  boost::asio::awaitable<void> reconnect_loop();

  boost::asio::any_io_executor executor_;
  RedisBusConfig config_;
  service::Logger& logger_;
  std::shared_ptr<RedisConnection> commands_;
  std::shared_ptr<RedisConnection> tail_connection_;
  std::string script_sha_;
  bool closed_ = false;
  bool keeping_connected_ = false;
  bool caught_up_ = false;
  bool ever_connected_ = false;
  std::chrono::steady_clock::time_point down_since_{};  ///< When the loss was first seen.
  /// False once destroyed: the tail coroutine may still be suspended then and must not
  /// touch this object when it resumes.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint64_t undecodable_ = 0;
};

}  // namespace relay::infra
