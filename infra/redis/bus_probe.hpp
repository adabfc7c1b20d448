#pragma once
// What a replica on the Redis bus checks to know that the stream still holds what it folded
// (DESIGN 7, "Faults"): the epoch key created with the stream and the newest id. Pure, so
// each kind of loss is a unit test. (A trimmed gap is seen in order by the tail itself:
// every entry carries its ordinal in the stream, and one that skips is a gap.)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/event_id.hpp"

namespace relay::infra {

/// One reading of the stream (the probe script's answer).
struct BusProbe {
  std::string epoch;                            ///< "" when the epoch key is missing.
  std::optional<domain::EventId> newest;        ///< nullopt: the stream is empty or missing.
  std::uint64_t appended = 0;                   ///< Entries ever appended in this epoch.
};

/// Where a replica stands.
struct BusPosition {
  std::string epoch;     ///< The epoch of what it folded; "" before it knew one.
  domain::EventId last;  ///< The last id folded (or its snapshot's).
};

enum class BusLoss {
  none,
  epoch_changed,  ///< Another stream than the one folded: wiped, restarted empty, replaced.
  rewound,        ///< The stream ends before what was folded: a failover to a lagging copy.
};

/// A fresh random epoch name, offered with every write that may create the stream (the
/// script keeps the one already there).
std::string new_epoch();

/// For logs: "epoch_changed", "rewound".
std::string_view to_string(BusLoss loss);

BusLoss judge_bus(const BusProbe& probe, const BusPosition& position);

/// How far, in the stream's own milliseconds, folding is behind its newest entry: the newest
/// id's time less the last folded id's. 0 when caught up, when the stream is empty, and when
/// nothing is folded yet (from 0-0 the difference is the age of the epoch, 56 years, not a
/// lag: entries behind say it then).
std::uint64_t lag_ms(domain::EventId folded, const std::optional<domain::EventId>& newest);

}  // namespace relay::infra
