#pragma once
// The EventLog on a Redis Stream (RELAY_BUS=redis://..., DESIGN 7): every replica appends to
// and tails the same stream, so ids, aggregates and frames agree everywhere.
// - append: one Lua script per request, atomic: per record a dedupe key is looked up (and
//   within the batch), new records are XADDed (MAXLEN ~ retention) and their dedupe keys set
//   with a TTL; every record's id comes back in order, original ids for retries.
// - tail: a connection of its own, XREAD BLOCK from the last id delivered.
// - read: XRANGE after an id, bounded.
// - ordinals: each entry carries its number in the stream (a counter in the append script),
//   so an entry that skips one means entries were trimmed before this replica read them.
// - epoch: a key created with the stream's first append. A replica remembers the epoch it
//   folded; a probe (on reconnect and every second) compares it and the newest id with its
//   position (infra/bus_probe). On loss every open stream is
//   told system.sse.resync and the replica rebuilds from the snapshot of the current epoch.
// - snapshot: a hash (id, epoch, data) any replica writes every N events or seconds with a
//   compare-and-set that never moves it back; a starting replica folds on from it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "infra/bus_probe.hpp"
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
  /// RELAY_BUS_COMMAND_TIMEOUT_MS: a command without a reply by then fails its connection,
  /// so a frozen Redis answers publishes 503 within it instead of holding them (a tail read
  /// gets this on top of its BLOCK).
  std::chrono::milliseconds command_timeout{2000};
  /// How long a lost connection may stay lost before /readyz says so: a blip does not pull
  /// every replica out of the balancer at once (appends still answer 503 meanwhile).
  std::chrono::milliseconds ready_grace{2000};
  std::chrono::milliseconds block{5000};  ///< XREAD BLOCK: how long one tail read waits
  std::size_t tail_batch = 512;           ///< XREAD COUNT
  std::uint64_t snapshot_every = 10'000;  ///< RELAY_BUS_SNAPSHOT_EVERY: events between snapshots
  std::chrono::seconds snapshot_interval{60};  ///< RELAY_BUS_SNAPSHOT_INTERVAL_S (0: by count only)
  std::chrono::milliseconds probe_interval{1000};  ///< epoch and lag checks
  unsigned wait_replicas = 0;  ///< RELAY_BUS_WAIT_REPLICAS: WAIT for them before 202 (0: off)
  std::chrono::milliseconds wait_timeout{1000};
  /// Largest entry folded: RELAY_MAX_BODY_BYTES plus the other fields. A larger one was not
  /// written by a relay (its ingest refuses such bodies) and is counted as undecodable
  /// before anything is parsed: a 60 MB entry XADDed by hand took the RSS to 436 MB.
  std::size_t max_entry_bytes = 64UL * 1024 + 16UL * 1024;
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

  [[nodiscard]] const service::BusStats& stats() const { return stats_; }
  [[nodiscard]] const service::BusStats* bus_stats() const override { return &stats_; }
  /// The epoch of what this replica folded ("" before it knew one).
  [[nodiscard]] const std::string& epoch() const { return epoch_; }

 private:
  /// Readiness for /readyz (health() adds `positioned`).
  [[nodiscard]] service::LogHealth ready_health() const;
  boost::asio::awaitable<void> tail_loop(domain::EventId after, service::EventTailer& tailer);
  /// On a (re)connected tail: starts from the snapshot the first time, then checks that the
  /// stream still holds what was folded and rebuilds when it does not. False: Redis went.
  boost::asio::awaitable<bool> settle(const std::shared_ptr<RedisConnection>& connection,
                                      service::EventTailer& tailer);
  /// Forgets what was folded and starts again from the current epoch's snapshot (or from
  /// nothing); `reason` non-empty tells the open streams to resync.
  /// The stream's entries after `after` up to `until` (inclusive), decoded; nullopt when
  /// Redis did not answer or there are too many to hold.
  boost::asio::awaitable<std::optional<std::vector<service::StoredEvent>>> read_range(
      const std::shared_ptr<RedisConnection>& connection, domain::EventId after,
      domain::EventId until);
  boost::asio::awaitable<bool> restart(const std::shared_ptr<RedisConnection>& connection,
                                       service::EventTailer& tailer, const std::string& reason);
  /// Entries before the one with `ordinal` were trimmed unread: start again from the
  /// snapshot if it covers them, else count the gap and tell the streams (tailer.gap()).
  boost::asio::awaitable<void> recover_gap(const std::shared_ptr<RedisConnection>& connection,
                                           service::EventTailer& tailer, std::uint64_t ordinal);
  /// The probe script's reading (nullopt: Redis did not answer).
  boost::asio::awaitable<std::optional<BusProbe>> probe(
      const std::shared_ptr<RedisConnection>& connection);
  /// Every probe_interval on the command connection: lag figures, and a loss noticed here
  /// (a FLUSHALL while nothing is appended) closes the tail so it settles again.
  boost::asio::awaitable<void> probe_loop();
  /// Writes the projection's snapshot when enough was folded since the last one.
  void maybe_snapshot(service::EventTailer& tailer);
  boost::asio::awaitable<void> write_snapshot(service::EventTailer& tailer);
  /// Runs the append script, loading it first when Redis does not know it (NOSCRIPT).
  boost::asio::awaitable<RedisResult> run_script(std::shared_ptr<RedisConnection> connection,
                                                 std::vector<std::string> args);
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
  service::BusStats stats_;
  std::string epoch_;             ///< Of what was folded; "" before one was known.
  domain::EventId last_{0, 0};    ///< Last id folded (or restored from a snapshot).
  /// The ordinal (1, 2, ... per epoch) of the entry at last_; nullopt when unknown (a tail
  /// started after an id). The next entry read must be ordinal_ + 1, else entries between
  /// were trimmed unread.
  std::optional<std::uint64_t> ordinal_;
  std::uint64_t rebuilds_ = 0;    ///< A probe answer from before a rebuild is discarded.
  bool started_ = false;          ///< The first settle (start from the snapshot) has run.
  /// From the start, and from each rebuild, until the tail first caught up: the frame log is
  /// not the stream's yet (LogHealth::positioned).
  bool building_ = true;
  bool lag_reported_ = false;     ///< One log line per spell of lag.
  std::uint64_t folded_since_snapshot_ = 0;
  std::chrono::steady_clock::time_point snapshot_due_{};
  bool snapshot_writing_ = false;
};

}  // namespace relay::infra
