#include "infra/redis/group_commit.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "service/relay_error.hpp"

namespace relay::infra {

namespace asio = boost::asio;

GroupCommit::GroupCommit(asio::any_io_executor executor, std::size_t most_records, Commit commit)
    : executor_(std::move(executor)), most_records_(most_records), commit_(std::move(commit)) {}

asio::awaitable<service::AppendResult> GroupCommit::append(std::vector<service::LogRecord> records) {
  auto request = std::make_shared<Request>(executor_);
  request->records = std::move(records);
  request->wake.expires_at(asio::steady_timer::time_point::max());
  queue_.push_back(request);
  if (leading_) {
    // Woken with an answer, or to lead the next group (then it is the queue's first). A wait
    // ended for another reason (cancelled from outside) waits again: a second leader would
    // put two groups in flight.
    while (!request->answered && !request->leads) {
      co_await request->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (request->answered) co_return std::move(request->result);
  }
  leading_ = true;
  while (!request->answered) co_await commit_next();
  if (queue_.empty()) {
    leading_ = false;
  } else {
    queue_.front()->leads = true;  // the lead passes on; leading_ stays set meanwhile
    queue_.front()->wake.cancel();
  }
  co_return std::move(request->result);
}

asio::awaitable<void> GroupCommit::commit_next() {
  std::vector<std::shared_ptr<Request>> group;
  std::vector<service::LogRecord> records;
  while (!queue_.empty() &&
         (group.empty() || records.size() + queue_.front()->records.size() <= most_records_)) {
    auto& next = queue_.front();
    next->count = next->records.size();
    records.insert(records.end(), std::make_move_iterator(next->records.begin()),
                   std::make_move_iterator(next->records.end()));
    group.push_back(std::move(next));
    queue_.pop_front();
  }
  const auto total = records.size();
  const auto answer = co_await commit_(std::move(records));
  std::size_t at = 0;
  for (const auto& request : group) {
    auto& result = request->result;
    const auto count = request->count;
    if (answer.error || answer.ids.size() != total || answer.fresh.size() != total) {
      // A commit that answers for other records than it was given is no answer.
      result.error = answer.error ? answer.error : make_error_code(error::bus_unavailable);
    } else {
      result.ids.assign(answer.ids.begin() + static_cast<std::ptrdiff_t>(at),
                        answer.ids.begin() + static_cast<std::ptrdiff_t>(at + count));
      for (std::size_t i = at; i < at + count; ++i) result.stored += answer.fresh[i] ? 1 : 0;
    }
    at += count;
    request->answered = true;
    request->wake.cancel();
  }
}

}  // namespace relay::infra
