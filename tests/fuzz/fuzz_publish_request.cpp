// libFuzzer target: the generic publish parser (POST /api/events) on any bytes.
// Invariants: never crashes; an accepted request has a type the SSE encoder can write (no
// CR, LF, NUL) and its data is one valid JSON value (it is spliced into envelopes raw).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <simdjson.h>

#include "proto/event_type.hpp"
#include "proto/publish_request.hpp"
#include "proto/sse_encoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = relay::proto::parse_publish_request(body);
  if (auto* request = std::get_if<relay::proto::PublishRequest>(&parsed)) {
    if (relay::proto::event_type_error(request->type)) std::abort();
    if (!relay::proto::is_safe_field_value(request->type)) std::abort();
    if (!relay::proto::is_safe_field_value(request->key)) std::abort();
    simdjson::dom::parser parser;
    if (parser.parse(request->data_json).error() != simdjson::SUCCESS) std::abort();
  }
  return 0;
}
