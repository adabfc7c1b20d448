#include "proto/cloudevents.hpp"

#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

#include "proto/json_duplicates.hpp"
#include "proto/rfc3339.hpp"

namespace relay::proto {

namespace dom = simdjson::dom;

int domain_event_index(std::string_view type) {
  if (type == "CMLWorkerCreatedDomainEvent" || type == "worker.created") return 0;
  if (type == "CMLWorkerStatusUpdatedDomainEvent" || type == "worker.status.updated") return 1;
  if (type == "CMLWorkerTelemetryUpdatedDomainEvent" || type == "worker.telemetry.updated" ||
      type == "worker.metrics.updated") {
    return 2;
  }
  if (type == "CMLWorkerLabsUpdatedDomainEvent" || type == "worker.labs.updated") return 3;
  if (type == "CMLWorkerTerminatedDomainEvent" || type == "worker.terminated") return 4;
  return -1;
}

namespace {

constexpr std::size_t max_text = 256;

// Thrown inside one item's parse and turned into an IngestError at its edge; a parse is
// one bounded call, so an exception is the shortest way out of the nested field reads.
struct FieldError {
  std::string pointer;  // relative to the item
  std::string detail;
};

// Reads typed fields of one JSON object, naming the path of whatever is wrong.
class Fields {
 public:
  Fields(dom::object object, std::string path) : object_(object), path_(std::move(path)) {}

  dom::element required(std::string_view key) const {
    dom::element value;
    if (object_.at_key(key).get(value) != simdjson::SUCCESS) fail(key, "is required");
    return value;
  }
  bool has(std::string_view key) const {
    dom::element value;
    return object_.at_key(key).get(value) == simdjson::SUCCESS && !value.is_null();
  }
  std::string text(std::string_view key, std::size_t max = max_text) const {
    std::string_view value;
    if (required(key).get(value) != simdjson::SUCCESS) fail(key, "must be a string");
    if (value.empty() || value.size() > max) fail(key, fmt::format("must be 1-{} characters", max));
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) fail(key, "must not contain control characters");
    }
    return std::string(value);
  }
  std::string optional_text(std::string_view key) const {
    return has(key) ? text(key) : std::string{};
  }
  std::uint64_t time(std::string_view key) const {
    auto value = text(key, 64);
    auto ms = parse_rfc3339_ms(value);
    if (!ms) fail(key, "must be an RFC 3339 date-time, e.g. 2026-11-23T22:01:00Z");
    return *ms;
  }
  double percent(std::string_view key) const {
    double value = 0;
    if (required(key).get(value) != simdjson::SUCCESS) fail(key, "must be a number");
    if (!std::isfinite(value) || value < 0 || value > 100) fail(key, "must be between 0 and 100");
    return value;
  }
  std::int64_t count(std::string_view key) const {
    auto element = required(key);
    std::int64_t value = 0;
    if (element.get(value) != simdjson::SUCCESS) {
      std::uint64_t big = 0;
      if (element.get(big) == simdjson::SUCCESS) fail(key, "is too large");
      fail(key, "must be an integer");
    }
    if (value < 0) fail(key, "must not be negative");
    return value;
  }
  domain::WorkerStatus status(std::string_view key) const {
    auto value = text(key, 32);
    auto status = domain::parse_worker_status(value);
    if (!status) {
      fail(key,
           "must be one of pending, provisioning, running, stopping, stopped, "
           "shutting-down, terminated");
    }
    return *status;
  }
  dom::object object(std::string_view key) const {
    dom::object value;
    if (required(key).get(value) != simdjson::SUCCESS) fail(key, "must be an object");
    return value;
  }
  dom::array array(std::string_view key) const {
    dom::array value;
    if (required(key).get(value) != simdjson::SUCCESS) fail(key, "must be an array");
    return value;
  }
  [[nodiscard]] std::string path(std::string_view key) const {
    return fmt::format("{}/{}", path_, key);
  }

  [[noreturn]] void fail(std::string_view key, std::string detail) const {
    throw FieldError{path(key), std::move(detail)};
  }

 private:
  dom::object object_;
  std::string path_;
};

domain::DomainEvent parse_data(int kind, const Fields& f) {
  auto data = Fields(f.object("data"), f.path("data"));
  switch (kind) {
    case 0:
      return domain::WorkerCreated{data.text("worker_id"), data.text("name"),
                                   data.text("region"),    data.text("instance_type"),
                                   data.status("status"),  data.time("created_at")};
    case 1:
      return domain::WorkerStatusUpdated{data.text("worker_id"), data.status("status"),
                                         data.time("updated_at")};
    case 2:
      return domain::WorkerTelemetryUpdated{
          data.text("worker_id"),
          {data.percent("cpu_percent"), data.percent("memory_percent"), data.count("labs_count"),
           data.time("collected_at")}};
    case 3: {
      domain::WorkerLabsUpdated labs{data.text("worker_id"), {}, 0};
      std::size_t i = 0;
      for (auto element : data.array("labs")) {
        dom::object lab;
        const auto path = fmt::format("{}/{}", data.path("labs"), i++);
        if (element.get(lab) != simdjson::SUCCESS) throw FieldError{path, "must be an object"};
        Fields l(lab, path);
        labs.labs.push_back(
            {l.text("lab_id"), l.text("title"), l.text("state", 64), l.count("node_count")});
      }
      labs.synchronized_at_ms = data.time("synchronized_at");
      return labs;
    }
    default:
      return domain::WorkerTerminated{data.text("worker_id"), data.text("reason"),
                                      data.time("terminated_at")};
  }
}

IngestItem parse_item(dom::element element, const std::string& path) {
  dom::object object;
  if (element.get(object) != simdjson::SUCCESS)
    throw FieldError{path, "must be a CloudEvent object"};
  Fields f(object, path);
  std::string_view specversion;
  if (f.required("specversion").get(specversion) != simdjson::SUCCESS || specversion != "1.0") {
    f.fail("specversion", "must be \"1.0\"");
  }
  IngestItem item;
  item.id = f.text("id");
  item.source = f.text("source", 1024);
  const auto type = f.text("type");
  const int kind = domain_event_index(type);
  if (kind < 0) {
    f.fail("type",
           fmt::format("'{}' is not a worker domain event (CMLWorkerCreatedDomainEvent, "
                       "CMLWorkerStatusUpdatedDomainEvent, CMLWorkerTelemetryUpdatedDomainEvent, "
                       "CMLWorkerLabsUpdatedDomainEvent, CMLWorkerTerminatedDomainEvent or "
                       "their short forms worker.created, ...)",
                       type));
  }
  if (f.has("time")) f.time("time");
  item.subject = f.optional_text("subject");
  item.event = parse_data(kind, f);
  return item;
}

}  // namespace

std::variant<ParsedEvents, IngestError> parse_cloudevents(std::string_view body, BodyShape shape,
                                                          std::size_t max_items) {
  dom::parser parser;
  dom::element doc;
  if (auto error = parser.parse(body.data(), body.size()).get(doc); error) {
    return IngestError{true, std::nullopt, "",
                       fmt::format("body is not valid JSON: {}", simdjson::error_message(error))};
  }
  const bool is_batch = doc.is_array();
  if (auto repeated = find_duplicate_key(doc)) {
    std::optional<std::size_t> index;
    if (is_batch) index = std::stoul(repeated->substr(1, repeated->find('/', 1) - 1));
    return IngestError{false, index, *repeated, "appears twice in its object; each key once"};
  }
  ParsedEvents parsed;
  auto& items = parsed.items;
  parsed.batch = is_batch;
  if (shape == BodyShape::single && is_batch) {
    return IngestError{false, std::nullopt, "",
                       "application/cloudevents+json takes one event object; "
                       "send a batch as application/cloudevents-batch+json"};
  }
  if (shape == BodyShape::batch && !is_batch) {
    return IngestError{false, std::nullopt, "",
                       "application/cloudevents-batch+json takes a JSON array"};
  }
  if (!is_batch) {
    try {
      items.push_back(parse_item(doc, ""));
    } catch (const FieldError& e) {
      return IngestError{false, std::nullopt, e.pointer, e.detail};
    }
    return parsed;
  }
  dom::array array = doc.get_array();
  if (array.size() == 0) return IngestError{false, std::nullopt, "", "the batch is empty"};
  if (array.size() > max_items) {
    return IngestError{
        false, std::nullopt, "",
        fmt::format("a batch holds at most {} events, got {}", max_items, array.size())};
  }
  std::size_t index = 0;
  for (auto element : array) {
    try {
      items.push_back(parse_item(element, fmt::format("/{}", index)));
    } catch (const FieldError& e) {
      return IngestError{false, index, e.pointer, e.detail};
    }
    ++index;
  }
  return parsed;
}

}  // namespace relay::proto
