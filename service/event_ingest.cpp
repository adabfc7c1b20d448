#include "service/event_ingest.hpp"

#include <optional>
#include <string_view>
#include <unordered_set>

namespace relay::service {

namespace asio = boost::asio;

namespace {

std::string dedupe_key(const proto::IngestItem& item) { return item.source + '\x1f' + item.id; }

// An Idempotency-Key's dedupe key: a CloudEvent's source holds no control character, so the
// leading one keeps the two kinds of key apart in the one dedupe space.
std::string dedupe_key(std::string_view idempotency_key) {
  return std::string("\x1eidempotency-key\x1f").append(idempotency_key);
}

// Why an append was not acknowledged, in words a producer can act on: whether anything may
// be stored, and that a retry with the same ids or Idempotency-Key is always safe.
IngestRejection unavailable(const boost::system::error_code& ec) {
  if (ec == error::not_replicated) return {error::not_replicated, 0, {}};
  if (ec == error::bus_unavailable) {
    return {error::bus_unavailable, 0,
            "the event log is unavailable; nothing was acknowledged, and a retry with the same "
            "CloudEvent ids or Idempotency-Key is safe"};
  }
  return {error::bus_unavailable, 0,
          "the event log did not answer (" + ec.message() +
              "); nothing was acknowledged, and a retry with the same CloudEvent ids or "
              "Idempotency-Key is safe"};
}

// A publish that arrives after the stop began: nothing is stored, the producer retries at
// another replica (the balancer has one) or after the restart.
IngestRejection draining_rejection() { return {error::draining, 0, "the relay is shutting down"}; }

}  // namespace

EventIngest::EventIngest(EventLog& log, const WorkerProjection& projection, const bool& draining)
    : event_log_(log), projection_(projection), draining_(draining) {}

asio::awaitable<std::variant<std::vector<domain::EventId>, IngestRejection>> EventIngest::ingest(
    std::vector<proto::IngestItem> items, IngestContext context) {
  if (draining_) co_return draining_rejection();
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (const auto& item : items) keys.push_back(dedupe_key(item));

  // Retries of an earlier request, or of an earlier item, are not checked: they will answer
  // with their original ids. The rest must fold against today's aggregates.
  std::vector<domain::DomainEvent> fresh;
  std::vector<std::size_t> fresh_index;
  auto split = [&](const std::vector<std::optional<domain::EventId>>& known) {
    std::unordered_set<std::string_view> in_batch;
    fresh.clear();
    fresh_index.clear();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (known[i] || !in_batch.insert(keys[i]).second) continue;
      fresh.push_back(items[i].event);
      fresh_index.push_back(i);
    }
  };
  // Checked first as if nothing were a retry: a request the pre-check accepts needs no
  // lookup (on Redis a round trip), since the append answers a retry with its original id
  // anyway. Only a refusal asks the log which items are retries, and then once more: with
  // replicas, the same event posted to two of them at once can be folded here (from the
  // other's append) after a lookup and before its check, so such a retry answers with its
  // original id instead of a conflict with itself.
  split(std::vector<std::optional<domain::EventId>>(items.size()));
  auto refused = projection_.precheck(fresh);
  for (int look = 0; refused && look < 2; ++look) {
    const auto known = co_await event_log_.lookup(keys);
    if (known.error) co_return unavailable(known.error);
    split(known.ids);
    refused = projection_.precheck(fresh);
  }
  if (refused) {
    auto& [at, why] = *refused;
    co_return IngestRejection{to_error(why.code), fresh_index[at], why.reason};
  }
  if (draining_) co_return draining_rejection();

  std::vector<LogRecord> records;
  records.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    records.push_back(
        {std::move(items[i]), std::move(keys[i]), context.traceparent, context.tracestate});
  }
  auto stored = co_await event_log_.append(std::move(records));
  if (stored.error) co_return unavailable(stored.error);
  appended_ += stored.stored;
  co_return std::move(stored.ids);
}

asio::awaitable<std::variant<domain::EventId, IngestRejection>> EventIngest::publish(
    proto::PublishRequest request, IngestContext context, std::string idempotency_key) {
  if (draining_) co_return draining_rejection();
  std::vector<LogRecord> records;
  records.push_back({std::move(request),
                     idempotency_key.empty() ? std::string() : dedupe_key(idempotency_key),
                     std::move(context.traceparent), std::move(context.tracestate)});
  auto stored = co_await event_log_.append(std::move(records));
  if (stored.error) co_return unavailable(stored.error);
  appended_ += stored.stored;
  co_return stored.ids.front();
}

}  // namespace relay::service
