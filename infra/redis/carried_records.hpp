#pragma once
// The records this replica appended, kept from the append until its own tail reaches their
// entries (issue 25): the tail folds the record it already holds instead of decoding the
// entry and parsing its body a second time. What it holds is what the ingest parsed; a
// record decoded from the entry is the same record (fuzz_stream_record checks that
// parse(write(parse(x))) == parse(x)), so a replica that decodes folds the same frames.
// Appends finish in id order (one group in flight), so the records wait in a queue in id
// order; the tail takes the front or drops what it passed without taking (one trimmed
// unread). Redis answers the tail's XREAD in the same turn as the append script, and the
// relay may read the XREAD first: so the tail, before it folds a batch, waits for the group
// that was in flight when the batch came (its answer is at most one read away) instead of
// decoding what is about to be handed to it. Bounded in records and bytes: past that the
// tail decodes as before.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "domain/event_id.hpp"
#include "service/event_log.hpp"

namespace relay::infra {

class CarriedRecords {
 public:
  CarriedRecords(boost::asio::any_io_executor executor, std::size_t most_records, std::size_t most_bytes);

  /// A group goes to Redis: its records are kept (or not) before settle(ticket).
  std::uint64_t sending() { return ++sent_; }
  /// The group `ticket` is answered (stored and kept, or failed).
  void settle(std::uint64_t ticket);
  /// Completes once every group sent before now is settled.
  boost::asio::awaitable<void> until_settled();

  /// Keeps the record appended as `id` with `ordinal`, unless the tail already passed it or
  /// the queue is full.
  void keep(domain::EventId id, std::uint64_t ordinal, service::LogRecord record);
  /// The record kept for the entry the tail is folding, if it is the one appended as `id`
  /// with `ordinal` (the pair, so a wiped stream's new entry under a reused id is decoded);
  /// forgets every one before it.
  std::optional<service::LogRecord> take(domain::EventId id, std::optional<std::uint64_t> ordinal);
  /// Forgets everything (the stream was rebuilt: an id may stand for another entry now).
  void clear();

  [[nodiscard]] std::size_t size() const { return queue_.size(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }

 private:
  struct Kept {
    domain::EventId id;
    std::uint64_t ordinal;
    service::LogRecord record;
    std::size_t bytes;
  };
  void drop_front();

  std::size_t most_records_;
  std::size_t most_bytes_;
  std::deque<Kept> queue_;
  std::size_t bytes_ = 0;
  domain::EventId passed_{0, 0};  ///< The last entry the tail folded.
  std::uint64_t sent_ = 0;
  std::uint64_t settled_ = 0;
  boost::asio::steady_timer settled_signal_;  ///< Cancelled when a group settles.
};

/// What a record holds in memory, roughly (its strings).
std::size_t record_bytes(const service::LogRecord& record);

}  // namespace relay::infra
