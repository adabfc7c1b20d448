#pragma once
// Where a new subscription starts, from the Last-Event-ID it brought (DESIGN 4.1):
// replay exactly what it missed, or tell it to resync. Never a silent gap.
#include <optional>
#include <string>
#include <string_view>

#include "service/frame_log.hpp"

namespace relay::service {

/// The outcome for one Last-Event-ID (or `?since=`).
struct ReplayDecision {
  enum class Kind {
    live,    ///< No id: start after the newest entry.
    replay,  ///< Known id: send every entry from `from` on, then live ones.
    resync,  ///< Unusable id: send system.sse.resync, then live entries.
  };
  Kind kind = Kind::live;
  LogPosition from = 0;   ///< First position to send (live and resync: the log's end).
  std::string reason;     ///< resync: too_old | unknown | malformed | future
  std::string oldest_id;  ///< resync: the oldest retained id, empty when the log is empty.
};

/// Decides for `last_event_id` (nullopt or empty: none given) against the log's contents.
/// "0-0" means "before the first event" (the read model's last_event_id while nothing was
/// folded): everything retained is replayed unless the log has already trimmed some.
ReplayDecision decide_replay(std::optional<std::string_view> last_event_id, const FrameLog& log);

}  // namespace relay::service
