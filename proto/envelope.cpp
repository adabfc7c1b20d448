#include "proto/envelope.hpp"

#include "proto/json_writer.hpp"
#include "proto/rfc3339.hpp"

namespace relay::proto {

std::string encode_envelope(const EnvelopeFields& f) {
  std::string out;
  out.reserve(f.data_json.size() + f.type.size() + f.subject.size() + f.traceparent.size() + 128);
  JsonObjectWriter w(out);
  w.string("id", f.id.to_string())
      .string("type", f.type)
      .string("time", format_rfc3339_ms(f.time_ms))
      .string_or_null("subject", f.subject)
      .string_or_null("traceparent", f.traceparent)
      .raw("data", f.data_json.empty() ? std::string_view("null") : f.data_json)
      .close();
  return out;
}

}  // namespace relay::proto
