#include "service/replay_decision.hpp"

namespace relay::service {

ReplayDecision decide_replay(std::optional<std::string_view> last_event_id, const FrameLog& log) {
  const LogPosition end = log.end_position();
  if (!last_event_id || last_event_id->empty()) return {ReplayDecision::Kind::live, end, {}, {}};

  auto resync = [&](std::string reason) {
    return ReplayDecision{ReplayDecision::Kind::resync, end, std::move(reason),
                          log.empty() ? std::string{} : log.oldest().id.to_string()};
  };
  const auto id = domain::EventId::parse(*last_event_id);
  if (!id) return resync("malformed");
  if (*id == domain::EventId{0, 0}) {
    if (log.has_trimmed()) return resync("too_old");
    return {ReplayDecision::Kind::replay, log.begin_position(), {}, {}};
  }
  if (log.empty()) return resync("unknown");
  if (log.newest().id < *id) return resync("future");
  if (*id < log.oldest().id) return resync(log.has_trimmed() ? "too_old" : "unknown");
  if (auto position = log.find(*id)) {
    return {ReplayDecision::Kind::replay, *position + 1, {}, {}};
  }
  // Inside the retained range but never issued here (another instance's log, or a guess).
  return resync("unknown");
}

}  // namespace relay::service
