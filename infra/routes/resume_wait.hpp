#pragma once
// A subscriber that moves to a replica a few milliseconds behind the one it left brings a
// Last-Event-ID this replica has not folded yet, though the shared stream already holds it.
// Deciding at once would tell it `resync future` for an event that arrives here a moment
// later. So before the decision, an id newer than everything folded here is checked against
// the log's newest stored id; when the log holds it, the stream waits (bounded) for the tail
// to fold it. An id the log does not hold (a guess, or another bus) is decided at once.
#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "domain/event_id.hpp"
#include "infra/http/http_types.hpp"
#include "service/event_log.hpp"
#include "service/frame_log.hpp"

namespace relay::infra {

/// The id a stream request resumes from: its Last-Event-ID header, else `?since=`.
std::optional<std::string> resume_id(const Request& req);

/// The id, when it is an event id newer than everything `frames` holds: only then may
/// wait_for_resume_id() ask the log. Cheap, so it is asked before anything costlier.
std::optional<domain::EventId> resume_ahead_of(const std::optional<std::string>& id,
                                               const service::FrameLog& frames);

/// How the wait ended (for the log and the tests).
enum class ResumeWait {
  not_needed,  ///< no id, not an id, already folded here, or the log is not shared
  not_stored,  ///< newer than anything the log holds: decided at once (resync future)
  folded,      ///< the tail folded it within the limit
  timed_out,   ///< the log holds it but the tail did not fold it in time
};

/// Waits up to `limit` for `frames` to hold `id` when `log` says it stores it already.
boost::asio::awaitable<ResumeWait> wait_for_resume_id(const std::optional<std::string>& id,
                                                      const service::FrameLog& frames,
                                                      const service::EventLog& log,
                                                      std::chrono::milliseconds limit);

}  // namespace relay::infra
