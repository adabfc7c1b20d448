#include "infra/routes/stats_report.hpp"

#include "proto/json_writer.hpp"

namespace relay::infra {

std::string stats_json(const service::SseEventRelay& relay, const service::EventIngest& ingest,
                       const BusStats* bus) {
  const auto& s = relay.stats();
  const auto& log = relay.frame_log();

  std::string evictions;
  proto::JsonObjectWriter e(evictions);
  std::uint64_t total = 0;
  for (auto reason : service::all_eviction_reasons) {
    e.unsigned_number(service::to_string(reason), s.evictions_for(reason));
    total += s.evictions_for(reason);
  }
  e.unsigned_number("total", total).close();

  std::string log_json;
  proto::JsonObjectWriter l(log_json);
  l.unsigned_number("size", log.size())
      .unsigned_number("capacity", log.capacity())
      .unsigned_number("retained_bytes", log.retained_bytes())
      .unsigned_number("max_bytes", log.max_bytes())
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
      .unsigned_number("events_published", ingest.appended())
      .unsigned_number("events_broadcast", s.events_broadcast)
      .unsigned_number("events_silent", s.events_silent)
      .unsigned_number("fold_rejected", s.fold_rejected)
      .unsigned_number("deliveries", s.deliveries)
      .unsigned_number("bytes_written", s.bytes_written)
      .unsigned_number("conflated", s.conflated)
      .unsigned_number("heartbeats", s.heartbeats)
      .unsigned_number("resyncs", s.resyncs)
      .unsigned_number("reauths", s.reauths)
      .unsigned_number("rejected_subscriptions", s.rejected_subscriptions)
      .raw("evictions", evictions)
      .raw("log", log_json)
      .raw("per_type", per_type)
      .boolean("draining", relay.stopping());
  if (bus != nullptr) {
    std::string bus_json;
    proto::JsonObjectWriter(bus_json)
        .unsigned_number("appends", bus->appends)
        .unsigned_number("append_groups", bus->append_groups)
        .unsigned_number("append_failures", bus->append_failures)
        .unsigned_number("reconnects", bus->reconnects)
        .unsigned_number("epoch_changes", bus->epoch_changes)
        .unsigned_number("gaps", bus->gaps)
        .unsigned_number("snapshots_written", bus->snapshots_written)
        .unsigned_number("carried", bus->carried)
        .unsigned_number("undecodable", bus->undecodable)
        .unsigned_number("lag_entries", bus->lag_entries)
        .unsigned_number("lag_ms", bus->lag_ms)
        .boolean("connected", bus->connected)
        .close();
    w.raw("bus", bus_json);
  }
  w.close();
  return out;
}

}  // namespace relay::infra
