#pragma once
// When the bus's command connection is (re)connected and whether /readyz may count on it: a
// sans-io machine after boostorg/redis's run_fsm. The driver (infra/redis/redis_link) feeds
// it what happened, with the time, and does what the returned action says; every decision
// (backoff, jitter, the readiness grace, counting reconnects) is a unit test without a socket
// or a clock.
#include <chrono>
#include <cstdint>
#include <string>

namespace relay::infra {

struct LinkTimings {
  /// A lost connection counts against /readyz only after this long, so a blip does not pull
  /// every replica out of the balancer at once (appends answer 503 meanwhile).
  std::chrono::milliseconds ready_grace{2000};
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

struct LinkAction {
  enum class Kind {
    connect,  ///< Open a connection now; report on_connected or on_connect_failed.
    wait,     ///< Wait `delay`, then report on_waited.
    watch,    ///< Up: wait until the connection fails (on_lost); no polling.
    stop,     ///< Closed: end the driver.
  };
  Kind kind = Kind::connect;
  std::chrono::milliseconds delay{0};
  /// Log this: the first failed connect of a spell (at warn, with the address and error),
  /// or the connect that ended a spell of failures. Once per spell, not once per retry.
  bool report = false;
};

struct LinkReadiness {
  bool ready = true;
  std::string detail;  ///< Why not, when not ready.
};

class LinkMachine {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  /// `address`: host:port, named in the readiness detail.
  explicit LinkMachine(LinkTimings timings, std::string address = {})
      : timings_(timings), backoff_(timings.first_backoff), address_(std::move(address)) {}

  LinkAction start();
  LinkAction on_connected(time_point now);
  /// `random`: any number (the driver's generator); the jitter is drawn from it, so replicas
  /// that lost Redis together do not come back in step, and tests can choose it.
  /// `error`: why, in words; the readiness detail names the last one.
  LinkAction on_connect_failed(std::uint32_t random, std::string_view error = {});
  LinkAction on_waited();
  LinkAction on_lost(time_point now);
  LinkAction close();

  [[nodiscard]] LinkReadiness readiness(time_point now) const;
  [[nodiscard]] bool up() const { return state_ == State::up; }
  [[nodiscard]] bool closed() const { return state_ == State::closed; }
  /// Times the connection came back after it had been up.
  [[nodiscard]] std::uint64_t reconnects() const { return reconnects_; }
  /// Failed connects since the link was last up (the current spell).
  [[nodiscard]] std::uint64_t failures_in_spell() const { return failures_in_spell_; }

 private:
  enum class State { idle, connecting, up, backing_off, closed };
  LinkTimings timings_;
  State state_ = State::idle;
  std::chrono::milliseconds backoff_;
  bool ever_connected_ = false;
  time_point down_since_{};  ///< When an up connection was lost; {} while up or never up.
  std::uint64_t reconnects_ = 0;
  std::string address_;
  std::string last_error_;  ///< Of the current spell; empty while up.
  std::uint64_t failures_in_spell_ = 0;
};

}  // namespace relay::infra
