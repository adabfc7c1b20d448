// libFuzzer target: the record a replica carries through from its append against the one
// every other replica decodes from the stream entry (issue 25). First byte: even, a
// CloudEvent (POST /api/domain-events, one item); odd, a generic event (POST /api/events);
// the rest is the body. Invariants: what the ingest parser accepts, written as a stream
// entry (v1 and v2) and decoded, is the same record: parse(write(parse(x))) == parse(x),
// compared as the written form, and the frame folded from either is the same bytes (the
// domain fold of registries seeded alike, the envelope, the SSE event).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/worker_registry.hpp"
#include "infra/redis/stream_record.hpp"
#include "proto/cloudevents.hpp"
#include "proto/envelope.hpp"
#include "proto/publish_request.hpp"
#include "proto/sse_encoder.hpp"
#include "proto/worker_json.hpp"

using namespace relay;

namespace {

// The SSE event a replica broadcasts for `record` at id 1700000000000-3, folded into a
// registry that knows the event's worker (created alike on both sides); "" for a silent one.
std::string frame_of(const service::LogRecord& record) {
  const domain::EventId id{1'700'000'000'000, 3};
  domain::Notification n;
  if (const auto* generic = std::get_if<proto::PublishRequest>(&record.body)) {
    n = {generic->type, generic->data_json, generic->key, "", generic->key, "", "", ""};
  } else {
    const auto& event = std::get<proto::IngestItem>(record.body).event;
    domain::WorkerRegistry registry;
    registry.advance(id.ms - 1);
    if (!std::holds_alternative<domain::WorkerCreated>(event)) {
      const domain::DomainEvent created =
          domain::WorkerCreated{domain::worker_id_of(event), "n", "r", "t", domain::WorkerStatus::running, 1};
      if (!registry.check(created)) registry.apply(created);
    }
    registry.advance(id.ms);
    if (registry.check(event)) return "";
    auto notice = registry.apply(event);
    if (!notice) return "";
    n = proto::encode_worker_notice(*notice);
  }
  const auto envelope = proto::encode_envelope({id, n.type, id.ms, n.subject, record.traceparent, n.data_json});
  return proto::encode_event(id.to_string(), n.type, envelope) + '\n' + n.conflation_key + '\n' + n.worker_id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  service::LogRecord parsed;
  if (data[0] % 2 == 0) {
    auto items = proto::parse_cloudevents(body, proto::BodyShape::single, 1);
    auto* events = std::get_if<proto::ParsedEvents>(&items);
    if (events == nullptr) return 0;
    auto& item = events->items.at(0);
    parsed.dedupe_key = item.source + '\x1f' + item.id;  // as the ingest keys it
    parsed.body = std::move(item);
  } else {
    auto request = proto::parse_publish_request(body);
    auto* generic = std::get_if<proto::PublishRequest>(&request);
    if (generic == nullptr) return 0;
    parsed.body = std::move(*generic);
  }
  parsed.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  parsed.tracestate = std::string(body.substr(0, 8));  // any bytes: stored as they are
  const auto written = infra::encode_record_v2(parsed);
  const auto carried_frame = frame_of(parsed);
  for (const unsigned format : {1U, 2U}) {
    auto decoded = infra::decode_stream_record(infra::encode_stream_record(parsed, format));
    auto* record = std::get_if<service::LogRecord>(&decoded);
    if (record == nullptr) std::abort();  // what a relay wrote, a relay must read
    if (infra::encode_record_v2(*record) != written) std::abort();
    if (record->dedupe_key != parsed.dedupe_key || record->tracestate != parsed.tracestate) std::abort();
    if (frame_of(*record) != carried_frame) std::abort();
  }
  return 0;
}
