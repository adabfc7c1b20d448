#include "proto/projection_snapshot.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "proto/json_writer.hpp"

namespace relay::proto {

namespace {

constexpr std::uint64_t snapshot_version = 1;

// fmt's "{}" is the shortest text that reads back as the same double.
std::string number_text(double value) { return fmt::format("{}", value); }

void append_worker(std::string& out, const domain::Worker& w) {
  JsonObjectWriter object(out);
  object.string("id", w.worker_id)
      .string("name", w.name)
      .string("region", w.region)
      .string("instance_type", w.instance_type)
      .string("status", domain::to_string(w.status))
      .unsigned_number("created", w.created_at_ms)
      .unsigned_number("updated", w.updated_at_ms)
      .unsigned_number("version", w.version)
      .unsigned_number("labs_at", w.labs_synchronized_at_ms)
      .unsigned_number("terminated_logged", w.terminated_logged_ms);
  if (w.terminated_at_ms) object.unsigned_number("terminated", *w.terminated_at_ms);
  if (w.metrics) {
    std::string metrics;
    JsonObjectWriter(metrics)
        .raw("cpu", number_text(w.metrics->cpu_percent))
        .raw("memory", number_text(w.metrics->memory_percent))
        .number("labs", w.metrics->labs_count)
        .unsigned_number("at", w.metrics->collected_at_ms)
        .close();
    object.raw("metrics", metrics);
  }
  std::string labs = "[";
  for (const auto& lab : w.labs) {
    if (labs.size() > 1) labs.push_back(',');
    JsonObjectWriter(labs)
        .string("id", lab.lab_id)
        .string("title", lab.title)
        .string("state", lab.state)
        .number("nodes", lab.node_count)
        .close();
  }
  labs.push_back(']');
  object.raw("labs", labs);
  object.close();
}

void append_frame(std::string& out, const SnapshotFrame& f) {
  out.push_back('[');
  append_json_string(out, f.id.to_string());
  out.push_back(',');
  append_json_string(out, f.type);
  out.push_back(',');
  append_json_string(out, f.conflation_key);
  out.push_back(',');
  append_json_string(out, f.worker_id);
  out.push_back(',');
  append_json_string(out, *f.frame);
  out.push_back(',');
  append_json_string(out, f.region);
  out.push_back(']');
}

/// Reads fields with one message for the first that is missing or of the wrong type.
class Reader {
 public:
  explicit Reader(simdjson::dom::object object) : object_(object) {}

  std::string text(std::string_view key) {
    std::string_view value;
    if (ok_ && object_.at_key(key).get(value) != simdjson::SUCCESS) fail(key, "a string");
    return std::string(value);
  }
  std::uint64_t unsigned_number(std::string_view key) {
    std::uint64_t value = 0;
    if (ok_ && object_.at_key(key).get(value) != simdjson::SUCCESS) fail(key, "an unsigned integer");
    return value;
  }
  std::int64_t number(std::string_view key) {
    std::int64_t value = 0;
    if (ok_ && object_.at_key(key).get(value) != simdjson::SUCCESS) fail(key, "an integer");
    return value;
  }
  double real(std::string_view key) {
    double value = 0;
    if (ok_ && object_.at_key(key).get(value) != simdjson::SUCCESS) fail(key, "a number");
    return value;
  }
  simdjson::dom::array array(std::string_view key) {
    simdjson::dom::array value;
    if (ok_ && object_.at_key(key).get(value) != simdjson::SUCCESS) fail(key, "an array");
    return value;
  }
  bool has(std::string_view key) const { return object_.at_key(key).error() == simdjson::SUCCESS; }
  simdjson::dom::object object(std::string_view key) {
    simdjson::dom::object value;
    if (ok_ && object_.at_key(key).get(value) != simdjson::SUCCESS) fail(key, "an object");
    return value;
  }
  void fail(std::string_view key, std::string_view what) {
    if (!ok_) return;
    ok_ = false;
    error_ = fmt::format("\"{}\" is not {}", key, what);
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  simdjson::dom::object object_;
  bool ok_ = true;
  std::string error_;
};

std::variant<domain::Worker, std::string> read_worker(simdjson::dom::element element) {
  simdjson::dom::object object;
  if (element.get(object) != simdjson::SUCCESS) return std::string("a worker is not an object");
  Reader r(object);
  domain::Worker w;
  w.worker_id = r.text("id");
  w.name = r.text("name");
  w.region = r.text("region");
  w.instance_type = r.text("instance_type");
  const auto status = r.text("status");
  w.created_at_ms = r.unsigned_number("created");
  w.updated_at_ms = r.unsigned_number("updated");
  w.version = r.unsigned_number("version");
  w.labs_synchronized_at_ms = r.unsigned_number("labs_at");
  w.terminated_logged_ms = r.unsigned_number("terminated_logged");
  if (r.has("terminated")) w.terminated_at_ms = r.unsigned_number("terminated");
  if (r.has("metrics")) {
    Reader m(r.object("metrics"));
    if (r.ok()) {
      w.metrics = domain::WorkerMetrics{m.real("cpu"), m.real("memory"), m.number("labs"),
                                        m.unsigned_number("at")};
      if (!m.ok()) return "worker metrics: " + m.error();
    }
  }
  for (auto lab_element : r.array("labs")) {
    simdjson::dom::object lab_object;
    if (lab_element.get(lab_object) != simdjson::SUCCESS) return std::string("a lab is not an object");
    Reader l(lab_object);
    domain::Lab lab{l.text("id"), l.text("title"), l.text("state"), l.number("nodes")};
    if (!l.ok()) return "lab: " + l.error();
    w.labs.push_back(std::move(lab));
  }
  if (!r.ok()) return "worker: " + r.error();
  const auto parsed = domain::parse_worker_status(status);
  if (!parsed) return fmt::format("worker {}: unknown status \"{}\"", w.worker_id, status);
  w.status = *parsed;
  return w;
}

std::variant<SnapshotFrame, std::string> read_frame(simdjson::dom::element element) {
  simdjson::dom::array array;
  // Five strings in snapshots written before frames carried the worker's region.
  if (element.get(array) != simdjson::SUCCESS || (array.size() != 5 && array.size() != 6)) {
    return std::string("a frame is not an array of 5 or 6 strings");
  }
  std::string_view parts[6];
  std::size_t i = 0;
  for (auto part : array) {
    if (part.get(parts[i++]) != simdjson::SUCCESS) return std::string("a frame field is not a string");
  }
  const auto id = domain::EventId::parse(parts[0]);
  if (!id) return fmt::format("frame id \"{}\" is not an event id", parts[0]);
  return SnapshotFrame{*id,
                       std::string(parts[1]),
                       std::string(parts[2]),
                       std::string(parts[3]),
                       std::make_shared<const std::string>(parts[4]),
                       std::string(parts[5])};
}

}  // namespace

std::string encode_snapshot(const ProjectionSnapshot& snapshot) {
  std::string out;
  out.reserve(256 * (snapshot.workers.size() + snapshot.frames.size()) + 256);
  out += fmt::format(R"({{"v":{},"last_id":"{}","log_ms":{},"workers":[)", snapshot_version,
                     snapshot.last_id.to_string(), snapshot.log_ms);
  bool first = true;
  for (const auto& worker : snapshot.workers) {
    if (!first) out.push_back(',');
    first = false;
    append_worker(out, worker);
  }
  out += R"(],"frames":[)";
  first = true;
  for (const auto& frame : snapshot.frames) {
    if (!first) out.push_back(',');
    first = false;
    append_frame(out, frame);
  }
  out += "]}";
  return out;
}

std::variant<ProjectionSnapshot, std::string> decode_snapshot(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(text.data(), text.size()).get(doc)) {
    return fmt::format("snapshot is not valid JSON: {}", simdjson::error_message(error));
  }
  simdjson::dom::object object;
  if (doc.get(object) != simdjson::SUCCESS) return std::string("snapshot is not a JSON object");
  Reader r(object);
  if (const auto version = r.unsigned_number("v"); r.ok() && version != snapshot_version) {
    return fmt::format("snapshot version {} is not {}", version, snapshot_version);
  }
  ProjectionSnapshot snapshot;
  const auto last = domain::EventId::parse(r.text("last_id"));
  snapshot.log_ms = r.unsigned_number("log_ms");
  auto workers = r.array("workers");
  auto frames = r.array("frames");
  if (!r.ok()) return "snapshot: " + r.error();
  if (!last) return std::string("snapshot: \"last_id\" is not an event id");
  snapshot.last_id = *last;
  for (auto element : workers) {
    auto worker = read_worker(element);
    if (auto* error = std::get_if<std::string>(&worker)) return "snapshot: " + *error;
    snapshot.workers.push_back(std::move(std::get<domain::Worker>(worker)));
  }
  for (auto element : frames) {
    auto frame = read_frame(element);
    if (auto* error = std::get_if<std::string>(&frame)) return "snapshot: " + *error;
    snapshot.frames.push_back(std::move(std::get<SnapshotFrame>(frame)));
  }
  return snapshot;
}

}  // namespace relay::proto
