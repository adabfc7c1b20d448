#include "proto/cloudevent_writer.hpp"

#include <fmt/format.h>

#include "proto/json_writer.hpp"
#include "proto/rfc3339.hpp"

namespace relay::proto {

namespace {

struct DataWriter {
  std::string operator()(const domain::WorkerCreated& e) const {
    std::string out;
    JsonObjectWriter(out)
        .string("worker_id", e.worker_id)
        .string("name", e.name)
        .string("region", e.region)
        .string("instance_type", e.instance_type)
        .string("status", domain::to_string(e.status))
        .string("created_at", format_rfc3339_ms(e.created_at_ms))
        .close();
    return out;
  }
  std::string operator()(const domain::WorkerStatusUpdated& e) const {
    std::string out;
    JsonObjectWriter(out)
        .string("worker_id", e.worker_id)
        .string("status", domain::to_string(e.status))
        .string("updated_at", format_rfc3339_ms(e.updated_at_ms))
        .close();
    return out;
  }
  std::string operator()(const domain::WorkerTelemetryUpdated& e) const {
    std::string out;
    // fmt's "{}" is the shortest text that reads back as the same double.
    JsonObjectWriter(out)
        .string("worker_id", e.worker_id)
        .raw("cpu_percent", fmt::format("{}", e.metrics.cpu_percent))
        .raw("memory_percent", fmt::format("{}", e.metrics.memory_percent))
        .number("labs_count", e.metrics.labs_count)
        .string("collected_at", format_rfc3339_ms(e.metrics.collected_at_ms))
        .close();
    return out;
  }
  std::string operator()(const domain::WorkerLabsUpdated& e) const {
    std::string labs = "[";
    for (const auto& lab : e.labs) {
      if (labs.size() > 1) labs.push_back(',');
      JsonObjectWriter(labs)
          .string("lab_id", lab.lab_id)
          .string("title", lab.title)
          .string("state", lab.state)
          .number("node_count", lab.node_count)
          .close();
    }
    labs.push_back(']');
    std::string out;
    JsonObjectWriter(out)
        .string("worker_id", e.worker_id)
        .raw("labs", labs)
        .string("synchronized_at", format_rfc3339_ms(e.synchronized_at_ms))
        .close();
    return out;
  }
  std::string operator()(const domain::WorkerTerminated& e) const {
    std::string out;
    JsonObjectWriter(out)
        .string("worker_id", e.worker_id)
        .string("reason", e.reason)
        .string("terminated_at", format_rfc3339_ms(e.terminated_at_ms))
        .close();
    return out;
  }
};

}  // namespace

std::string write_cloudevent(const IngestItem& item) {
  std::string out;
  JsonObjectWriter w(out);
  w.string("specversion", "1.0")
      .string("id", item.id)
      .string("source", item.source)
      .string("type", domain::event_type_name(item.event));
  if (!item.subject.empty()) w.string("subject", item.subject);
  w.raw("data", std::visit(DataWriter{}, item.event));
  w.close();
  return out;
}

}  // namespace relay::proto
