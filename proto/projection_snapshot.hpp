#pragma once
// The projection as one document (DESIGN 7, "Start"): the worker aggregates, the log time
// they were folded to and the newest frames, at the id of the
// last event they include. A replica that starts (or rebuilds) from it serves the same read
// model and replays the same window as the replicas that wrote it, then folds the stream
// after that id. JSON, so an operator can read it with redis-cli.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/event_id.hpp"
#include "domain/worker.hpp"

namespace relay::proto {

/// One entry of the frame window: the SSE frame as encoded by the fold (empty for a silent
/// event, which keeps its id so a Last-Event-ID naming it still resumes). The frame is the
/// frame log's own shared string: taking a snapshot copies no frame, and a rebuild hands
/// the decoded one to the frame log as it is.
struct SnapshotFrame {
  domain::EventId id;
  std::string type;
  std::string conflation_key;
  std::string worker_id;
  std::shared_ptr<const std::string> frame;  ///< Never null.
  std::string region;  ///< Empty when none (and in snapshots written before regions).

  bool operator==(const SnapshotFrame& other) const {
    return id == other.id && type == other.type && conflation_key == other.conflation_key &&
           worker_id == other.worker_id && *frame == *other.frame && region == other.region;
  }
};

struct ProjectionSnapshot {
  domain::EventId last_id;     ///< The last event folded into it.
  std::uint64_t log_ms = 0;    ///< The registry's log time (terminated workers' retention).
  std::vector<domain::Worker> workers;
  std::vector<SnapshotFrame> frames;  ///< Oldest first.
};

std::string encode_snapshot(const ProjectionSnapshot& snapshot);

/// The snapshot, or why the text is not one (wrong version, bad JSON, a field missing or of
/// the wrong type): a snapshot is all or nothing.
std::variant<ProjectionSnapshot, std::string> decode_snapshot(std::string_view text);

}  // namespace relay::proto
