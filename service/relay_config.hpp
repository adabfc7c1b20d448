#pragma once
// Settings of the SSEEventRelay hosted service; each default is documented beside it and
// listed by `sse-relay --help` (infra/config/config_loader.cpp maps flags and variables onto it).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace relay::service {

struct RelayConfig {
  /// RELAY_HISTORY: frames retained for Last-Event-ID replay.
  std::size_t history = 10000;
  /// RELAY_HISTORY_BYTES: bytes of frames retained at most (the oldest go first, whichever of
  /// this and RELAY_HISTORY is reached first).
  std::uint64_t history_bytes = 64ULL * 1024 * 1024;
  /// RELAY_MAX_CLIENTS: concurrent subscribers; more get 503.
  std::size_t max_clients = 10000;
  /// RELAY_MAX_PENDING_BYTES: bytes a subscriber may be behind while its socket does not drain.
  std::uint64_t max_pending_bytes = 1024UL * 1024;
  /// RELAY_WRITE_TIMEOUT_MS: a subscriber whose write has not completed in this time is
  /// evicted (write_timeout). 0: no deadline.
  std::chrono::milliseconds write_timeout{30000};
  /// RELAY_HEARTBEAT_MS: silence on a stream before a heartbeat event.
  std::chrono::milliseconds heartbeat{30000};
  /// RELAY_RETRY_MS: the `retry:` sent at stream start (EventSource reconnect delay).
  std::chrono::milliseconds retry{3000};
  /// RELAY_SHUTDOWN_GRACE_MS: how long a stop waits for streams to flush before closing them.
  std::chrono::milliseconds shutdown_grace{10000};
  /// RELAY_RECONNECT_JITTER_MS: spread of the reconnect_ms told to each client at shutdown,
  /// so a restart is not met by every browser at the same instant.
  std::chrono::milliseconds reconnect_jitter{5000};
  /// RELAY_FLUSH_INTERVAL_MS: least time between the starts of two broadcast sweeps under
  /// load. An event after a quiet spell goes out at once; under load, the events of the
  /// interval reach each subscriber in one write, so the cost of a sweep is per subscriber,
  /// not per event. 0: sweeps back to back.
  std::chrono::milliseconds flush_interval{5};
  /// RELAY_INSTANCE_ID: this process's name in `connected` (random when empty).
  std::string instance_id;
  /// Frames and bytes per gathered write (a long replay is written in steps).
  std::size_t batch_max_frames = 512;
  std::uint64_t batch_max_bytes = 256UL * 1024;
};

}  // namespace relay::service
