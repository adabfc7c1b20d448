// libFuzzer target: the SSE encoder against a WHATWG event-stream decoder (the load tool's
// SseFrameParser). Any id, type and data the encoder accepts must decode to exactly one event
// with the same id and type and the data with its line breaks (CRLF, CR, LF) read as LF: no
// payload can forge a field or a second event. JSON strings written by the relay must parse.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "proto/json_writer.hpp"
#include "proto/sse_encoder.hpp"
#include "sse_frame_parser.hpp"

namespace {

std::string normalised_lines(std::string_view data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
    } else {
      out.push_back(data[i]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  // id \0 type \0 data
  const auto a = input.find('\0');
  const auto b = a == std::string_view::npos ? a : input.find('\0', a + 1);
  if (b == std::string_view::npos) return 0;
  const auto id = input.substr(0, a);
  const auto type = input.substr(a + 1, b - a - 1);
  const auto data = input.substr(b + 1);

  std::string frame;
  try {
    frame = relay::proto::encode_event(id, type, data);
  } catch (const std::invalid_argument&) {
    // Refused: only ids and types that would break a line may be refused.
    if (relay::proto::is_safe_field_value(id) && relay::proto::is_safe_field_value(type)) {
      std::abort();
    }
    return 0;
  }
  int events = 0;
  relay::bench::SseFrameParser parser([&](const relay::bench::SseEvent& e) {
    ++events;
    const auto expected_type = type.empty() ? std::string_view("message") : type;
    // The decoder strips one leading space after the colon; the encoder must keep any
    // value intact through that rule.
    if (e.type != expected_type) std::abort();
    if (!id.empty() && e.last_event_id != id) std::abort();
    if (e.data != normalised_lines(data)) std::abort();
  });
  parser.feed(frame);
  // An event whose type and data are both empty is still dispatched (data: line present).
  if (events != 1) std::abort();

  std::string json;
  relay::proto::append_json_string(json, data);
  simdjson::dom::parser json_parser;
  simdjson::dom::element doc;
  if (json_parser.parse(json).get(doc) != simdjson::SUCCESS) std::abort();
  return 0;
}
