#include "infra/redis/carried_records.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::infra {

std::size_t record_bytes(const service::LogRecord& record) {
  std::size_t bytes = sizeof(service::LogRecord) + record.dedupe_key.size() + record.traceparent.size() +
                      record.tracestate.size();
  if (const auto* generic = std::get_if<proto::PublishRequest>(&record.body)) {
    return bytes + generic->type.size() + generic->data_json.size() + generic->key.size();
  }
  const auto& item = std::get<proto::IngestItem>(record.body);
  // A domain event's own strings (worker id, name, region, ...) are short and bounded.
  return bytes + item.source.size() + item.id.size() + item.subject.size() + 512;
}

CarriedRecords::CarriedRecords(boost::asio::any_io_executor executor, std::size_t most_records,
                               std::size_t most_bytes)
    : most_records_(most_records), most_bytes_(most_bytes), settled_signal_(std::move(executor)) {
  settled_signal_.expires_at(boost::asio::steady_timer::time_point::max());
}

void CarriedRecords::settle(std::uint64_t ticket) {
  if (ticket > settled_) settled_ = ticket;
  settled_signal_.cancel();
}

boost::asio::awaitable<void> CarriedRecords::until_settled() {
  const auto target = sent_;
  while (settled_ < target) {
    // Every sent group settles: answered, failed, or timed out by the command deadline.
    settled_signal_.expires_at(boost::asio::steady_timer::time_point::max());
    co_await settled_signal_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

void CarriedRecords::keep(domain::EventId id, std::uint64_t ordinal, service::LogRecord record) {
  if (!(passed_ < id)) return;  // the tail read this entry before the append's answer came
  if (!queue_.empty() && !(queue_.back().id < id)) return;  // never out of order
  const auto bytes = record_bytes(record);
  if (queue_.size() >= most_records_ || bytes_ + bytes > most_bytes_) return;
  bytes_ += bytes;
  queue_.push_back({id, ordinal, std::move(record), bytes});
}

std::optional<service::LogRecord> CarriedRecords::take(domain::EventId id,
                                                      std::optional<std::uint64_t> ordinal) {
  if (passed_ < id) passed_ = id;
  while (!queue_.empty() && !(id < queue_.front().id)) {
    if (queue_.front().id == id && queue_.front().ordinal == ordinal) {
      auto record = std::move(queue_.front().record);
      drop_front();
      return record;
    }
    drop_front();
  }
  return std::nullopt;
}

void CarriedRecords::clear() {
  queue_.clear();
  bytes_ = 0;
  passed_ = domain::EventId{0, 0};
}

void CarriedRecords::drop_front() {
  bytes_ -= queue_.front().bytes;
  queue_.pop_front();
}

}  // namespace relay::infra
