#pragma once
// Group commit for the bus's appends (issue 25): appends that arrive while one is in flight
// wait, and go to Redis together as the next group: one script run, one reply, one WAIT,
// for every publish of the group. Each request stays whole (a group holds whole requests,
// stored all together or not at all) and gets its own ids back, and a record that repeats
// an earlier one's dedupe key within a group answers with that one's id, as it would have
// one group later. The first request of an idle queue leads: it commits what is queued,
// then hands the lead to the first request still waiting, so exactly one group is in flight.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "domain/event_id.hpp"
#include "service/event_log.hpp"

namespace relay::infra {

/// What a group's commit answered: an id per record of the group, and whether each was new
/// to the log; or why nothing of it was stored.
struct GroupAnswer {
  boost::system::error_code error;
  std::vector<domain::EventId> ids;
  std::vector<bool> fresh;
  std::uint64_t ordinal = 0;  ///< The new records have the ordinals after this one, in order.
};

class GroupCommit {
 public:
  /// Stores a group (the records of its requests, in order).
  using Commit = std::function<boost::asio::awaitable<GroupAnswer>(std::vector<service::LogRecord>)>;

  /// `most_records`: a group takes further requests only while it holds fewer records (a
  /// request larger than that still goes, alone).
  GroupCommit(boost::asio::any_io_executor executor, std::size_t most_records, Commit commit);

  /// Appends `records` with the next group; answers once that group is stored (or failed).
  boost::asio::awaitable<service::AppendResult> append(std::vector<service::LogRecord> records);

 private:
  struct Request {
    explicit Request(const boost::asio::any_io_executor& executor) : wake(executor) {}
    std::vector<service::LogRecord> records;  ///< Moved into its group when that is formed.
    std::size_t count = 0;                     ///< How many it held.
    boost::asio::steady_timer wake;  ///< Cancelled when answered, or when it is to lead.
    service::AppendResult result;
    bool answered = false;
    bool leads = false;  ///< Handed the lead: commits the next group.
  };

  /// Commits the requests at the front of the queue (the leader's among them) as one group.
  boost::asio::awaitable<void> commit_next();

  boost::asio::any_io_executor executor_;
  std::size_t most_records_;
  Commit commit_;
  std::deque<std::shared_ptr<Request>> queue_;  ///< Waiting for a group, in arrival order.
  bool leading_ = false;                        ///< A group is in flight, or its leader is waking.
};

}  // namespace relay::infra
