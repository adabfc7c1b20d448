#pragma once
// The read side of the bus (DESIGN 7): a connection of its own reads the stream in order
// (XREAD, blocking once caught up) and folds each entry into the EventTailer exactly once.
// Each batch is judged by its ordinals before anything is folded (tail_judge): a trimmed gap
// is recovered from the snapshot or told to the streams; a stream that went back (wiped,
// rewound) or lost its epoch is rebuilt and every stream resyncs. A (re)connected tail
// settles first: starts from the snapshot, and checks the probe against what it folded.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "domain/event_id.hpp"
#include "infra/redis/bus_stats.hpp"
#include "infra/redis/carried_records.hpp"
#include "infra/redis/redis_bus_config.hpp"
#include "infra/redis/redis_connection.hpp"
#include "infra/redis/redis_link.hpp"
#include "infra/redis/snapshot_store.hpp"
#include "service/checkpoint_cadence.hpp"
#include "service/event_log.hpp"
#include "service/telemetry/logger.hpp"
#include "service/loop_group.hpp"

namespace relay::infra {

/// Where the tail stands; the monitor and /readyz read it.
struct TailState {
  std::string epoch;           ///< Of what was folded; "" before one was known.
  domain::EventId last{0, 0};  ///< Last id folded (or restored from a snapshot).
  /// The ordinal of the entry at `last`; nullopt when unknown (a tail started after an id,
  /// a rebuild after loss): the next entry with one sets it.
  std::optional<std::uint64_t> ordinal;
  std::uint64_t rebuilds = 0;  ///< A probe answer from before a rebuild is discarded.
  bool started = false;        ///< The first settle (start from the snapshot) has run.
  /// From the start, and from each rebuild, until the tail first caught up: the frame log is
  /// not the stream's yet (LogHealth::positioned).
  bool building = true;
  bool caught_up = false;  ///< Everything the stream held when (re)connected is folded.
};

class RedisTailer : public std::enable_shared_from_this<RedisTailer> {
 public:
  RedisTailer(boost::asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
              std::shared_ptr<RedisLink> link, service::Logger& logger, std::shared_ptr<BusStats> stats,
              service::LoopGroup& loops, boost::asio::any_io_executor encoder,
              std::shared_ptr<CarriedRecords> carried);

  /// Folds every entry after `after`, then each new one, until close() (spawn it once).
  boost::asio::awaitable<void> run(domain::EventId after, service::EventTailer& tailer);
  /// The monitor saw a loss: the tail settles again on a new connection, in order with its
  /// reads (never in the middle of a fold).
  void resettle() { connection_->close(); }
  void close();

  [[nodiscard]] const TailState& state() const { return state_; }
  [[nodiscard]] bool connected() const { return connection_->connected(); }
  /// Decodes one entry, counting and logging one that cannot be read.
  std::optional<service::StoredEvent> decode(const RedisValue& entry);
  /// The entry with `ordinal` as the record this replica appended, else decoded.
  std::optional<service::StoredEvent> carried_or_decoded(const RedisValue& entry,
                                                         std::optional<std::uint64_t> ordinal);

 private:
  boost::asio::awaitable<bool> settle(service::EventTailer& tailer);
  /// Forgets what was folded and starts again from the current epoch's snapshot (or from
  /// nothing); `reason` non-empty: after a loss, and the open streams resync with it.
  boost::asio::awaitable<bool> restart(service::EventTailer& tailer, const std::string& reason);
  /// Entries before the one with `ordinal` were trimmed unread: start again from the
  /// snapshot if it covers them, else count the gap and tell the streams.
  boost::asio::awaitable<void> recover_gap(service::EventTailer& tailer, std::uint64_t ordinal);
  /// The entries after `after` up to `until`, decoded; nullopt when Redis did not answer or
  /// there are too many to hold.
  boost::asio::awaitable<std::optional<std::vector<service::StoredEvent>>> read_range(
      domain::EventId after, domain::EventId until);
  /// Folds a read batch (judged first); false when it stopped at a gap or a loss.
  boost::asio::awaitable<bool> fold(const std::vector<RedisValue>& entries,
                                    service::EventTailer& tailer);
  void maybe_checkpoint(service::EventTailer& tailer);
  boost::asio::awaitable<void> write_checkpoint(service::EventTailer& tailer);
  boost::asio::awaitable<void> pause();

  boost::asio::any_io_executor executor_;
  /// Where snapshots are encoded: a thread of their own, so a large read model does not
  /// stall the fan-out while it is written out.
  boost::asio::any_io_executor encoder_;
  std::shared_ptr<const RedisBusConfig> config_;
  BusKeys keys_;
  std::shared_ptr<RedisLink> link_;
  service::Logger& logger_;
  std::shared_ptr<BusStats> stats_;
  service::LoopGroup& loops_;
  std::shared_ptr<CarriedRecords> carried_;
  std::shared_ptr<RedisConnection> connection_;
  TailState state_;
  service::CheckpointCadence cadence_;
  bool checkpoint_writing_ = false;
  bool closed_ = false;
};

}  // namespace relay::infra
