#pragma once
// The relay's own SSE frames (DESIGN 4.1): the stream preamble (retry + connected, and a
// resync when the Last-Event-ID cannot be replayed), heartbeats and the shutdown notice.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "service/clock.hpp"
#include "service/replay_decision.hpp"

namespace relay::service {

/// Settings the frames carry.
struct RelayFrameSettings {
  std::chrono::milliseconds retry{3000};
  std::chrono::milliseconds heartbeat{30000};
  std::chrono::milliseconds reconnect_jitter{5000};
};

class RelayFrames {
 public:
  RelayFrames(const Clock& clock, RelayFrameSettings settings, std::string instance_id);

  /// `retry:`, `connected` {client_id, instance_id, heartbeat_ms, last_event_id}, and after
  /// it `system.sse.resync` {reason, oldest_id} when the decision is a resync.
  [[nodiscard]] std::string preamble(const std::string& client_id, const ReplayDecision& decision,
                                     const std::string& newest_id) const;

  /// system.sse.resync {reason, oldest_id} on its own: told to every open stream when the
  /// log they followed was rebuilt.
  [[nodiscard]] std::shared_ptr<const std::string> resync(const std::string& reason,
                                                          const std::string& oldest_id) const;

  /// A heartbeat event (no id) with the current time.
  std::shared_ptr<const std::string> heartbeat();

  /// `retry:` and system.sse.shutdown {reason, reconnect_ms}. Each client hears a different
  /// delay, so a restart is not met by all of them at once; the retry: line makes a plain
  /// EventSource honour it too.
  std::shared_ptr<const std::string> shutdown();

  /// system.sse.reauth {"reason":"token_expired"}: the stream's token ran out, it closes;
  /// with `revoked`, {"reason":"revoked"}: an operator revoked it before its exp.
  [[nodiscard]] std::shared_ptr<const std::string> reauth(bool revoked = false) const;

  /// A random lower-case hex string (client and instance ids).
  std::string random_hex(std::size_t digits);

  [[nodiscard]] const std::string& instance_id() const { return instance_id_; }

 private:
  const Clock& clock_;
  RelayFrameSettings settings_;
  std::mt19937_64 random_;
  std::string instance_id_;
};

}  // namespace relay::service
