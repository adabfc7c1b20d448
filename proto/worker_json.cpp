#include "proto/worker_json.hpp"

#include <fmt/format.h>

#include "proto/json_writer.hpp"
#include "proto/rfc3339.hpp"

namespace relay::proto {

namespace {

// Percentages keep their precision without trailing noise ("12.5", not "12.500000").
void number(JsonObjectWriter& w, std::string_view key, double value) {
  w.raw(key, fmt::format("{}", value));
}

std::string labs_json(const std::vector<domain::Lab>& labs) {
  std::string out = "[";
  for (std::size_t i = 0; i < labs.size(); ++i) {
    if (i) out.push_back(',');
    JsonObjectWriter(out)
        .string("lab_id", labs[i].lab_id)
        .string("title", labs[i].title)
        .string("state", labs[i].state)
        .number("node_count", labs[i].node_count)
        .close();
  }
  out.push_back(']');
  return out;
}

void metrics_fields(JsonObjectWriter& w, const domain::WorkerMetrics& m) {
  number(w, "cpu_percent", m.cpu_percent);
  number(w, "memory_percent", m.memory_percent);
  w.number("labs_count", m.labs_count).string("collected_at", format_rfc3339_ms(m.collected_at_ms));
}

}  // namespace

namespace {
// The aggregate after the event: updated_at (the later of its times so far) and version.
void stamp_fields(JsonObjectWriter& w, const domain::AggregateStamp& stamp) {
  w.string("updated_at", format_rfc3339_ms(stamp.updated_at_ms))
      .unsigned_number("version", stamp.version);
}
}  // namespace

domain::Notification encode_worker_notice(const domain::WorkerNotice& notice) {
  domain::Notification n;
  n.type = domain::sse_type_of(notice);
  std::string& data = n.data_json;
  JsonObjectWriter w(data);
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, domain::WorkerCreatedNotice>) {
          n.worker_id = e.worker.worker_id;
          w.string("worker_id", e.worker.worker_id)
              .string("name", e.worker.name)
              .string("region", e.worker.region)
              .string("instance_type", e.worker.instance_type)
              .string("status", domain::to_string(e.worker.status))
              .string("created_at", format_rfc3339_ms(e.worker.created_at_ms))
              .string("updated_at", format_rfc3339_ms(e.worker.updated_at_ms))
              .unsigned_number("version", e.worker.version);
        } else if constexpr (std::is_same_v<T, domain::WorkerStatusNotice>) {
          n.worker_id = e.worker_id;
          w.string("worker_id", e.worker_id)
              .string("status", domain::to_string(e.status))
              .string("previous_status", domain::to_string(e.previous_status));
          stamp_fields(w, e.stamp);
        } else if constexpr (std::is_same_v<T, domain::WorkerMetricsNotice>) {
          n.worker_id = e.worker_id;
          n.conflation_key = e.worker_id;  // a behind subscriber needs only the newest sample
          w.string("worker_id", e.worker_id);
          metrics_fields(w, e.metrics);
          stamp_fields(w, e.stamp);
        } else if constexpr (std::is_same_v<T, domain::WorkerLabsNotice>) {
          n.worker_id = e.worker_id;
          w.string("worker_id", e.worker_id)
              .raw("labs", labs_json(e.labs))
              .string("synchronized_at", format_rfc3339_ms(e.synchronized_at_ms));
          stamp_fields(w, e.stamp);
        } else {
          n.worker_id = e.worker_id;
          w.string("worker_id", e.worker_id)
              .string("reason", e.reason)
              .string("terminated_at", format_rfc3339_ms(e.terminated_at_ms));
          stamp_fields(w, e.stamp);
        }
      },
      notice);
  w.close();
  n.subject = "worker/" + n.worker_id;
  return n;
}

std::string encode_worker(const domain::Worker& worker) {
  std::string out;
  JsonObjectWriter w(out);
  w.string("worker_id", worker.worker_id)
      .string("name", worker.name)
      .string("region", worker.region)
      .string("instance_type", worker.instance_type)
      .string("status", domain::to_string(worker.status))
      .string("created_at", format_rfc3339_ms(worker.created_at_ms))
      .string("updated_at", format_rfc3339_ms(worker.updated_at_ms));
  if (worker.terminated_at_ms)
    w.string("terminated_at", format_rfc3339_ms(*worker.terminated_at_ms));
  if (worker.metrics) {
    std::string metrics;
    JsonObjectWriter m(metrics);
    metrics_fields(m, *worker.metrics);
    m.close();
    w.raw("metrics", metrics);
  } else {
    w.raw("metrics", "null");
  }
  w.raw("labs", labs_json(worker.labs)).unsigned_number("version", worker.version).close();
  return out;
}

}  // namespace relay::proto
