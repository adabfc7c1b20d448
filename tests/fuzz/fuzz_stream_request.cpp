// libFuzzer target: what a subscriber controls before a stream opens - the request target
// (?types=, ?worker=, ?since=) and Last-Event-ID. Invariants: never crashes; a parsed id
// prints as text that parses back to the same id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/event_id.hpp"
#include "infra/routes/stream_query.hpp"
#include "service/subscription_filter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Up to the first newline: a Last-Event-ID; the rest: the query of a stream URL.
  const auto newline = input.find('\n');
  const auto last_event_id = input.substr(0, newline);
  if (auto id = relay::domain::EventId::parse(last_event_id)) {
    // "007-1" is read as 7-1 (leading zeros are the same number): the value round-trips.
    if (relay::domain::EventId::parse(id->to_string()) != id) std::abort();
  }
  const std::string target =
      "/api/events/stream?" +
      std::string(newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1));
  auto query = relay::infra::parse_stream_query(target);
  if (auto* q = std::get_if<relay::infra::StreamQuery>(&query)) {
    auto filter = relay::service::SubscriptionFilter::parse(q->types, q->workers);
    if (auto* f = std::get_if<relay::service::SubscriptionFilter>(&filter)) {
      (void)f->matches("worker.status.updated", "w-1");
    }
    if (q->since) (void)relay::domain::EventId::parse(*q->since);
  }
  return 0;
}
