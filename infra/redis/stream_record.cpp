#include "infra/redis/stream_record.hpp"

#include <charconv>

#include <fmt/format.h>

#include "proto/cloudevent_writer.hpp"
#include "proto/json_writer.hpp"

namespace relay::infra {

namespace {

constexpr std::string_view v1_version = "1";

std::string write_publish_request(const proto::PublishRequest& request) {
  std::string out;
  proto::JsonObjectWriter w(out);
  w.string("type", request.type).raw("data", request.data_json);
  if (!request.key.empty()) w.string("key", request.key);
  w.close();
  return out;
}

// A record's body (a CloudEvent when `domain`, else a generic event) parsed as the ingest
// parses it, into `record`.
std::variant<service::LogRecord, std::string> parse_body(bool domain, std::string_view body,
                                                         service::LogRecord record) {
  if (domain) {
    auto parsed = proto::parse_cloudevents(body, proto::BodyShape::single, 1);
    if (auto* error = std::get_if<proto::IngestError>(&parsed)) {
      return fmt::format("domain record refused by the parser: {} {}", error->pointer, error->detail);
    }
    record.body = std::move(std::get<proto::ParsedEvents>(parsed).items.at(0));
    return record;
  }
  auto parsed = proto::parse_publish_request(body);
  if (auto* error = std::get_if<proto::PublishRequestError>(&parsed)) {
    return fmt::format("generic record refused by the parser: {} {}", error->pointer, error->detail);
  }
  record.body = std::move(std::get<proto::PublishRequest>(parsed));
  return record;
}

std::string body_of(const service::LogRecord& record) {
  if (const auto* item = std::get_if<proto::IngestItem>(&record.body)) return proto::write_cloudevent(*item);
  return write_publish_request(std::get<proto::PublishRequest>(record.body));
}

// A decimal length at the front of `text` followed by `end`; consumes both.
std::optional<std::size_t> take_length(std::string_view& text, char end) {
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr == text.data() || ptr == text.data() + text.size() || *ptr != end) {
    return std::nullopt;
  }
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()) + 1);
  return n;
}

}  // namespace

std::string encode_record_v2(const service::LogRecord& record) {
  const bool domain = std::holds_alternative<proto::IngestItem>(record.body);
  std::string out = fmt::format("2{} {} {} {}\n", domain ? 'd' : 'g', record.dedupe_key.size(),
                                record.traceparent.size(), record.tracestate.size());
  out += record.dedupe_key;
  out += record.traceparent;
  out += record.tracestate;
  out += body_of(record);
  return out;
}

StreamFields encode_stream_record(const service::LogRecord& record, unsigned format) {
  StreamFields fields;
  if (format == 2) {
    fields.emplace_back("r", encode_record_v2(record));
    return fields;
  }
  fields.emplace_back("v", v1_version);
  const bool domain = std::holds_alternative<proto::IngestItem>(record.body);
  fields.emplace_back("kind", domain ? "domain" : "generic");
  fields.emplace_back("body", body_of(record));
  if (!record.dedupe_key.empty()) fields.emplace_back("dedupe", record.dedupe_key);
  if (!record.traceparent.empty()) fields.emplace_back("tp", record.traceparent);
  if (!record.tracestate.empty()) fields.emplace_back("ts", record.tracestate);
  return fields;
}

std::variant<service::LogRecord, std::string> decode_record_v2(std::string_view value) {
  if (value.size() < 3 || value[0] != '2' || (value[1] != 'd' && value[1] != 'g') || value[2] != ' ') {
    return std::string("v2 record without its '2d ' or '2g ' header");
  }
  const bool domain = value[1] == 'd';
  auto rest = value.substr(3);
  const auto dedupe = take_length(rest, ' ');
  const auto tp = dedupe ? take_length(rest, ' ') : std::nullopt;
  const auto ts = tp ? take_length(rest, '\n') : std::nullopt;
  if (!ts) return std::string("v2 record header without its three lengths");
  if (*dedupe > rest.size() || *tp > rest.size() - *dedupe || *ts > rest.size() - *dedupe - *tp) {
    return std::string("v2 record shorter than its header says");
  }
  service::LogRecord record;
  record.dedupe_key = rest.substr(0, *dedupe);
  record.traceparent = rest.substr(*dedupe, *tp);
  record.tracestate = rest.substr(*dedupe + *tp, *ts);
  return parse_body(domain, rest.substr(*dedupe + *tp + *ts), std::move(record));
}

std::variant<service::LogRecord, std::string> decode_stream_record(const StreamFields& fields) {
  return decode_stream_record(StreamFieldViews(fields.begin(), fields.end()));
}

std::variant<service::LogRecord, std::string> decode_stream_record(const StreamFieldViews& fields) {
  const std::string_view* version = nullptr;
  const std::string_view* kind = nullptr;
  const std::string_view* body = nullptr;
  service::LogRecord record;
  for (const auto& [name, value] : fields) {
    if (name == "r") return decode_record_v2(value);
    if (name == "v") version = &value;
    if (name == "kind") kind = &value;
    if (name == "body") body = &value;
    if (name == "dedupe") record.dedupe_key = value;
    if (name == "tp") record.traceparent = value;
    if (name == "ts") record.tracestate = value;
  }
  if (version == nullptr || *version != v1_version) {
    return fmt::format("record format v='{}' without an r field: neither 1 nor 2 (written by a newer "
                       "relay version?)",
                       version ? *version : "");
  }
  if (kind == nullptr || body == nullptr) return std::string("record without kind or body");
  if (*kind != "domain" && *kind != "generic") return fmt::format("unknown record kind '{}'", *kind);
  return parse_body(*kind == "domain", *body, std::move(record));
}

}  // namespace relay::infra
