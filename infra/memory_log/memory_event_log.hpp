#pragma once
// The embedded EventLog (RELAY_BUS=memory, the default): one process, ids from the wall
// clock like Redis XADD's "*", a bounded history and a bounded idempotency window. Appends
// reach the tailer before append() answers, so a 202 is already folded and visible.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "service/clock.hpp"
#include "service/event_log.hpp"

namespace relay::infra {

class MemoryEventLog final : public service::EventLog {
 public:
  /// `history` events and at most `history_bytes` (approximately) are kept for tail() and
  /// read(), trimmed by whichever bound comes first; `dedupe_window`: most recent dedupe keys
  /// remembered (older retries are stored again, as with an expired Redis key).
  MemoryEventLog(const service::Clock& clock, std::size_t history, std::size_t dedupe_window,
                 std::uint64_t history_bytes = UINT64_MAX);

  boost::asio::awaitable<service::AppendResult> append(
      std::vector<service::LogRecord> records) override;
  boost::asio::awaitable<service::LookupResult> lookup(
      const std::vector<std::string>& keys) override;
  void tail(domain::EventId after, service::EventTailer& tailer) override;
  boost::asio::awaitable<std::vector<service::StoredEvent>> read(domain::EventId after,
                                                                 std::size_t max) override;
  [[nodiscard]] service::LogHealth health() const override { return {}; }

  /// The append itself, without a coroutine: what append() runs.
  service::AppendResult append_now(std::vector<service::LogRecord> records);

  [[nodiscard]] std::size_t size() const { return events_.size(); }
  [[nodiscard]] std::uint64_t retained_bytes() const { return retained_bytes_; }

 private:
  void remember(std::string key, domain::EventId id);

  const service::Clock& clock_;
  std::size_t history_;
  std::size_t dedupe_window_;
  std::uint64_t history_bytes_;
  std::uint64_t retained_bytes_ = 0;
  domain::EventIdGenerator ids_;
  std::deque<service::StoredEvent> events_;
  std::unordered_map<std::string, domain::EventId> seen_;
  std::deque<std::string> seen_order_;
  service::EventTailer* tailer_ = nullptr;
};

}  // namespace relay::infra
