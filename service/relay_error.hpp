#pragma once
// The relay's reasons for refusing work, as one error enum (STYLE 8, after boostorg/redis's
// error.hpp). Domain and service return these; only infra turns them into HTTP statuses.
#include <string_view>
#include <type_traits>

#include <boost/system/error_code.hpp>

#include "domain/worker_registry.hpp"

namespace relay {

enum class error {
  /// The relay is stopping: it takes no new publish or subscriber.
  draining = 1,
  /// RELAY_MAX_CLIENTS subscribers are connected already.
  too_many_subscribers,
  /// An event about a worker that was never created.
  unknown_worker,
  /// A second create for a worker id that exists.
  duplicate_worker,
  /// An event about a worker after its termination.
  worker_terminated,
  /// A status the worker's lifecycle cannot reach from its current one.
  invalid_transition,
  /// The event log did not answer, so nothing was stored.
  bus_unavailable,
  /// A create while the read model holds RELAY_MAX_WORKERS workers.
  too_many_workers,
  /// A stream asked of a replica still (re)building its state from the shared log: it could
  /// neither replay nor place it at "now" correctly.
  catching_up,
  /// The events are stored, but fewer Redis replicas than RELAY_BUS_WAIT_REPLICAS confirmed
  /// them in time: not acknowledged, and a retry (same ids or Idempotency-Key) is safe.
  not_replicated,
  /// A stream (or a read) asked for workers or types outside what the subscriber's token
  /// grants: refused rather than quietly narrowed.
  outside_grant,
};

/// The category of relay::error ("sse-relay").
const boost::system::error_category& relay_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), relay_category()};
}

/// The error for a refusal of the worker fold.
error to_error(domain::RefusalCode code) noexcept;

/// Stable snake_case name for logs ("draining", "unknown_worker", ...).
std::string_view to_string(error e) noexcept;

/// The same reason in words ("the event log is unavailable"): what error_code::message()
/// gives, for text a person reads (a problem detail, a log line's error).
std::string_view describe(error e) noexcept;

}  // namespace relay

template <>
struct boost::system::is_error_code_enum<relay::error> : std::true_type {};
