#include "infra/redis/stream_record.hpp"

#include <fmt/format.h>

#include "proto/cloudevent_writer.hpp"
#include "proto/json_writer.hpp"

namespace relay::infra {

namespace {

constexpr std::string_view format_version = "1";

std::string write_publish_request(const proto::PublishRequest& request) {
  std::string out;
  proto::JsonObjectWriter w(out);
  w.string("type", request.type).raw("data", request.data_json);
  if (!request.key.empty()) w.string("key", request.key);
  w.close();
  return out;
}

}  // namespace

StreamFields encode_stream_record(const service::LogRecord& record) {
  StreamFields fields;
  fields.emplace_back("v", format_version);
  if (const auto* item = std::get_if<proto::IngestItem>(&record.body)) {
    fields.emplace_back("kind", "domain");
    fields.emplace_back("body", proto::write_cloudevent(*item));
  } else {
    fields.emplace_back("kind", "generic");
    fields.emplace_back("body",
                        write_publish_request(std::get<proto::PublishRequest>(record.body)));
  }
  if (!record.dedupe_key.empty()) fields.emplace_back("dedupe", record.dedupe_key);
  if (!record.traceparent.empty()) fields.emplace_back("tp", record.traceparent);
  if (!record.tracestate.empty()) fields.emplace_back("ts", record.tracestate);
  return fields;
}

std::variant<service::LogRecord, std::string> decode_stream_record(const StreamFields& fields) {
  const std::string* version = nullptr;
  const std::string* kind = nullptr;
  const std::string* body = nullptr;
  service::LogRecord record;
  for (const auto& [name, value] : fields) {
    if (name == "v") version = &value;
    if (name == "kind") kind = &value;
    if (name == "body") body = &value;
    if (name == "dedupe") record.dedupe_key = value;
    if (name == "tp") record.traceparent = value;
    if (name == "ts") record.tracestate = value;
  }
  if (version == nullptr || *version != format_version) {
    return fmt::format("record format '{}' is not {} (written by another relay version?)",
                       version ? *version : "", format_version);
  }
  if (kind == nullptr || body == nullptr) return std::string("record without kind or body");
  if (*kind == "domain") {
    auto parsed = proto::parse_cloudevents(*body, proto::BodyShape::single, 1);
    if (auto* error = std::get_if<proto::IngestError>(&parsed)) {
      return fmt::format("domain record refused by the parser: {} {}", error->pointer,
                         error->detail);
    }
    record.body = std::move(std::get<proto::ParsedEvents>(parsed).items.at(0));
    return record;
  }
  if (*kind == "generic") {
    auto parsed = proto::parse_publish_request(*body);
    if (auto* error = std::get_if<proto::PublishRequestError>(&parsed)) {
      return fmt::format("generic record refused by the parser: {} {}", error->pointer,
                         error->detail);
    }
    record.body = std::move(std::get<proto::PublishRequest>(parsed));
    return record;
  }
  return fmt::format("unknown record kind '{}'", *kind);
}

}  // namespace relay::infra
