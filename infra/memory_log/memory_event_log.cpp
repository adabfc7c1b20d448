#include "infra/memory_log/memory_event_log.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

namespace relay::infra {

namespace asio = boost::asio;
using service::AppendResult;
using service::StoredEvent;

namespace {

// What one retained event costs, near enough to bound the history by bytes: its strings
// (the payload dominates) plus the fixed size of the entry.
std::uint64_t approx_bytes(const StoredEvent& e) {
  std::uint64_t n = sizeof(StoredEvent) + e.record.dedupe_key.size() + e.record.traceparent.size() +
                    e.record.tracestate.size();
  if (const auto* p = std::get_if<proto::PublishRequest>(&e.record.body)) {
    return n + p->type.size() + p->data_json.size() + p->key.size();
  }
  const auto& item = std::get<proto::IngestItem>(e.record.body);
  n += item.source.size() + item.id.size() + item.subject.size();
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        n += ev.worker_id.size();
        if constexpr (std::is_same_v<T, domain::WorkerCreated>) {
          n += ev.name.size() + ev.region.size() + ev.instance_type.size();
        } else if constexpr (std::is_same_v<T, domain::WorkerLabsUpdated>) {
          for (const auto& lab : ev.labs) {
            n += sizeof(lab) + lab.lab_id.size() + lab.title.size() + lab.state.size();
          }
        } else if constexpr (std::is_same_v<T, domain::WorkerTerminated>) {
          n += ev.reason.size();
        }
      },
      item.event);
  return n;
}

}  // namespace

MemoryEventLog::MemoryEventLog(const service::Clock& clock, std::size_t history,
                               std::size_t dedupe_window, std::uint64_t history_bytes)
    : clock_(clock),
      history_(history),
      dedupe_window_(dedupe_window),
      history_bytes_(history_bytes) {
  if (history_ == 0) throw std::invalid_argument("event log history must be at least 1");
}

void MemoryEventLog::remember(std::string key, domain::EventId id) {
  if (dedupe_window_ == 0 || key.empty()) return;
  if (seen_order_.size() == dedupe_window_) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  seen_.emplace(key, id);
  seen_order_.push_back(std::move(key));
}

AppendResult MemoryEventLog::append_now(std::vector<service::LogRecord> records) {
  AppendResult result;
  result.ids.reserve(records.size());
  // Keys of this batch, so a repeat inside it answers with the id of its first copy. They
  // point into `fresh`, which is reserved up front so that its strings never move.
  std::unordered_map<std::string_view, domain::EventId> in_batch;
  std::vector<StoredEvent> fresh;
  fresh.reserve(records.size());
  for (auto& record : records) {
    const auto& key = record.dedupe_key;
    if (!key.empty()) {
      if (auto it = seen_.find(key); it != seen_.end()) {
        result.ids.push_back(it->second);
        continue;
      }
      if (auto it = in_batch.find(key); it != in_batch.end()) {
        result.ids.push_back(it->second);
        continue;
      }
    }
    const auto id = ids_.next(clock_.now_unix_ms());
    result.ids.push_back(id);
    fresh.push_back({id, std::move(record)});
    if (!fresh.back().record.dedupe_key.empty()) {
      in_batch.emplace(fresh.back().record.dedupe_key, id);
    }
  }
  result.stored = fresh.size();
  for (auto& event : fresh) {
    remember(event.record.dedupe_key, event.id);
    retained_bytes_ += approx_bytes(event);
    events_.push_back(std::move(event));
    // Whichever bound is hit first; the newest event always stays.
    while (events_.size() > 1 && (events_.size() > history_ || retained_bytes_ > history_bytes_)) {
      retained_bytes_ -= approx_bytes(events_.front());
      events_.pop_front();
    }
    if (tailer_ != nullptr) tailer_->on_event(events_.back());
  }
  return result;
}

asio::awaitable<AppendResult> MemoryEventLog::append(std::vector<service::LogRecord> records) {
  co_return append_now(std::move(records));
}

asio::awaitable<service::LookupResult> MemoryEventLog::lookup(const std::vector<std::string>& keys) {
  service::LookupResult found;
  found.ids.reserve(keys.size());
  for (const auto& key : keys) {
    auto it = seen_.find(key);
    found.ids.push_back(it == seen_.end() ? std::nullopt : std::optional{it->second});
  }
  co_return found;
}

void MemoryEventLog::tail(domain::EventId after, service::EventTailer& tailer) {
  tailer_ = &tailer;
  for (const auto& event : events_) {
    if (after < event.id) tailer.on_event(event);
  }
}

asio::awaitable<std::vector<StoredEvent>> MemoryEventLog::read(domain::EventId after,
                                                               std::size_t max) {
  std::vector<StoredEvent> out;
  auto it =
      std::upper_bound(events_.begin(), events_.end(), after,
                       [](const domain::EventId& id, const StoredEvent& e) { return id < e.id; });
  for (; it != events_.end() && out.size() < max; ++it) out.push_back(*it);
  co_return out;
}

}  // namespace relay::infra
