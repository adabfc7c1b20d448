#include "infra/stats_report.hpp"

#include <fmt/format.h>

#include "proto/json_writer.hpp"

namespace relay::infra {

namespace {
constexpr service::EvictionReason all_reasons[] = {service::EvictionReason::lagging,
                                                   service::EvictionReason::slow_consumer,
                                                   service::EvictionReason::shutdown_timeout};
}

std::string stats_json(const service::SseEventRelay& relay) {
  const auto& s = relay.stats();
  const auto& log = relay.log();

  std::string evictions;
  proto::JsonObjectWriter e(evictions);
  std::uint64_t total = 0;
  for (auto reason : all_reasons) {
    e.unsigned_number(service::to_string(reason), s.evictions_for(reason));
    total += s.evictions_for(reason);
  }
  e.unsigned_number("total", total).close();

  std::string log_json;
  proto::JsonObjectWriter l(log_json);
  l.unsigned_number("size", log.size())
      .unsigned_number("capacity", log.capacity())
      .unsigned_number("retained_bytes", log.retained_bytes())
      .string_or_null("oldest_id", log.empty() ? std::string{} : log.oldest().id.to_string())
      .string_or_null("newest_id", log.empty() ? std::string{} : log.newest().id.to_string())
      .close();

  std::string per_type;
  proto::JsonObjectWriter p(per_type);
  for (const auto& [type, counts] : s.per_type) {
    std::string one;
    proto::JsonObjectWriter(one).unsigned_number("published", counts.published).close();
    p.raw(type, one);
  }
  p.close();

  std::string out;
  proto::JsonObjectWriter w(out);
  w.string("instance_id", relay.instance_id())
      .unsigned_number("clients", relay.subscriber_count())
      .unsigned_number("subscriptions_total", s.subscriptions_total)
      .unsigned_number("events_published", s.events_published)
      .unsigned_number("events_broadcast", s.events_broadcast)
      .unsigned_number("events_silent", s.events_silent)
      .unsigned_number("deliveries", s.deliveries)
      .unsigned_number("bytes_written", s.bytes_written)
      .unsigned_number("conflated", s.conflated)
      .unsigned_number("heartbeats", s.heartbeats)
      .unsigned_number("resyncs", s.resyncs)
      .unsigned_number("rejected_subscriptions", s.rejected_subscriptions)
      .raw("evictions", evictions)
      .raw("log", log_json)
      .raw("per_type", per_type)
      .boolean("draining", relay.stopping())
      .close();
  return out;
}

std::string metrics_text(const service::SseEventRelay& relay) {
  const auto& s = relay.stats();
  std::string out;
  auto metric = [&](std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  auto sample = [&](std::string_view name, std::uint64_t value) {
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  };
  metric("sse_relay_connected_clients", "gauge", "Subscribers connected now.");
  sample("sse_relay_connected_clients", relay.subscriber_count());
  metric("sse_relay_subscriptions_total", "counter", "Streams opened since start.");
  sample("sse_relay_subscriptions_total", s.subscriptions_total);
  metric("sse_relay_events_published_total", "counter", "Events accepted into the log, by type.");
  for (const auto& [type, counts] : s.per_type) {
    // Types are [A-Za-z0-9._:-] only (proto/event_type), so no label escaping is needed.
    fmt::format_to(std::back_inserter(out), "sse_relay_events_published_total{{type=\"{}\"}} {}\n",
                   type, counts.published);
  }
  metric("sse_relay_deliveries_total", "counter", "Event frames written to subscribers.");
  sample("sse_relay_deliveries_total", s.deliveries);
  metric("sse_relay_written_bytes_total", "counter", "Stream bytes written to subscribers.");
  sample("sse_relay_written_bytes_total", s.bytes_written);
  metric("sse_relay_conflated_total", "counter",
         "Frames skipped because a newer one had their key.");
  sample("sse_relay_conflated_total", s.conflated);
  metric("sse_relay_heartbeats_total", "counter", "Heartbeat events written.");
  sample("sse_relay_heartbeats_total", s.heartbeats);
  metric("sse_relay_resyncs_total", "counter", "Subscriptions told to resync.");
  sample("sse_relay_resyncs_total", s.resyncs);
  metric("sse_relay_evictions_total", "counter",
         "Subscribers disconnected by the relay, by reason.");
  for (auto reason : all_reasons) {
    fmt::format_to(std::back_inserter(out), "sse_relay_evictions_total{{reason=\"{}\"}} {}\n",
                   service::to_string(reason), s.evictions_for(reason));
  }
  metric("sse_relay_log_entries", "gauge", "Frames retained in the log.");
  sample("sse_relay_log_entries", relay.log().size());
  metric("sse_relay_log_bytes", "gauge", "Bytes of the frames retained in the log.");
  sample("sse_relay_log_bytes", relay.log().retained_bytes());
  return out;
}

}  // namespace relay::infra
