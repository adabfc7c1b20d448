#pragma once
// Port: the shared, ordered log every accepted event is appended to (DESIGN 3, 7), after
// Mercure's Transport. The log mints the ids; every replica tails it in order and folds what
// it reads, so ids, aggregates and frames are the same everywhere. In memory today
// (infra/memory_event_log), Redis Streams behind the same interface.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "domain/event_id.hpp"
#include "proto/cloudevents.hpp"
#include "proto/publish_request.hpp"

namespace relay::service {

/// One accepted event as the log stores it: a worker domain event (POST /api/domain-events)
/// or a generic event (POST /api/events), with the trace context it was accepted under.
struct LogRecord {
  std::variant<proto::IngestItem, proto::PublishRequest> body;
  /// Idempotency key: a second record with the same key is a retry and gets the first one's
  /// id. Empty: never deduplicated (generic events carry no id of their own).
  std::string dedupe_key;
  std::string traceparent;  ///< Context the fold continues; empty when none.
  std::string tracestate;
};

/// A record with the id the log gave it.
struct StoredEvent {
  domain::EventId id;
  LogRecord record;
};

/// What an append answered: an id per record in request order (a retry gets the original
/// id), or why nothing was stored.
struct AppendResult {
  boost::system::error_code error;  ///< Set: nothing of the batch was stored.
  std::vector<domain::EventId> ids;
  std::size_t stored = 0;  ///< Records new to the log (the rest were retries).
};

/// What a lookup answered: the id stored under each key (nullopt: not seen, or forgotten), or
/// why the log could not say (then nothing is known, and a refusal must not be guessed).
struct LookupResult {
  boost::system::error_code error;
  std::vector<std::optional<domain::EventId>> ids;
};

/// Readiness of the log for /readyz.
struct LogHealth {
  bool ready = true;
  std::string detail;  ///< Why not, when not ready.
  /// False while the replica's state is being (re)built from the log (at the start, after a
  /// rebuild): its frame log is not yet the log's, so a new stream could be neither replayed
  /// nor placed at "now". Streams are refused then (not during a mere outage: open and new
  /// streams keep what the replica has).
  bool positioned = true;
};

/// Encodes a captured snapshot (see EventTailer::snapshot_job).
using SnapshotJob = std::function<std::string()>;

/// Receives the log's events in order, each exactly once.
class EventTailer {
 public:
  virtual ~EventTailer() = default;
  virtual void on_event(const StoredEvent& event) = 0;

  /// Start again from `snapshot` (a document snapshot() wrote; empty: from nothing),
  /// forgetting everything folded so far. `reason` non-empty: the log lost what was folded
  /// (Redis restarted without its data, a trimmed gap), and whoever follows the tailer is
  /// told to resync with it. False when the snapshot cannot be read: the tailer is then
  /// empty, as if given none.
  virtual bool rebuild(std::string_view snapshot, const std::string& reason) {
    (void)snapshot;
    (void)reason;
    return false;
  }

  /// Events after the last one folded are lost to this tailer (trimmed before it read them,
  /// and no snapshot covers them): keep the state, but nothing replays across the gap and
  /// whoever follows is told to resync with `reason`.
  virtual void gap(const std::string& reason) { (void)reason; }

  /// After a rebuild without a reason and the events folded back into it: whoever follows
  /// is told now to resync with `reason`, from the end of what was rebuilt.
  virtual void resync(const std::string& reason) { (void)reason; }

  /// What has been folded so far, captured now (between two folds, so consistent at the
  /// last event folded); the job encodes it as one document for rebuild() and owns what it
  /// needs, so it may run on another thread while folding goes on. Empty when the tailer
  /// keeps no state worth saving.
  [[nodiscard]] virtual SnapshotJob snapshot_job() const { return {}; }

 protected:
  EventTailer() = default;
  EventTailer(const EventTailer&) = default;
  EventTailer& operator=(const EventTailer&) = default;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  /// Stores the batch atomically, in order, and answers only once it is stored (202 follows
  /// this answer). Records whose dedupe key was stored before, or repeats one earlier in the
  /// batch, are not stored again and answer with the original id.
  virtual boost::asio::awaitable<AppendResult> append(std::vector<LogRecord> records) = 0;

  /// The ids already stored under `keys`. The ingest pre-check uses it to tell retries from
  /// new events; append() decides. An error when the log cannot answer.
  virtual boost::asio::awaitable<LookupResult> lookup(const std::vector<std::string>& keys) = 0;

  /// Delivers every stored event after `after` to `tailer`, then each new one as it is
  /// stored, in log order. One tailer per log.
  virtual void tail(domain::EventId after, EventTailer& tailer) = 0;

  /// Up to `max` stored events after `after`, in log order (replay beyond what a replica
  /// keeps in memory).
  virtual boost::asio::awaitable<std::vector<StoredEvent>> read(domain::EventId after,
                                                                std::size_t max) = 0;

  /// The newest id the log stores now, asked of the log itself (a shared log may hold ids
  /// this replica has not folded yet). nullopt: empty, unreachable, or not shared (the
  /// memory log folds as it appends, so it never holds more than was folded).
  [[nodiscard]] virtual boost::asio::awaitable<std::optional<domain::EventId>> newest_stored()
      const {
    co_return std::nullopt;
  }

  [[nodiscard]] virtual LogHealth health() const = 0;

 protected:
  EventLog() = default;
  EventLog(const EventLog&) = default;
  EventLog& operator=(const EventLog&) = default;
};

}  // namespace relay::service
