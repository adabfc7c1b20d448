#pragma once
// The JSON envelope every broadcast event carries in its `data:` (DESIGN 4.1):
// {"id","type","time","subject","traceparent","data":{...}}.
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/event_id.hpp"

namespace relay::proto {

/// Fields of one envelope; `data_json` must already be valid JSON.
struct EnvelopeFields {
  domain::EventId id;
  std::string_view type;
  std::uint64_t time_ms = 0;
  std::string_view subject;      ///< null in JSON when empty
  std::string_view traceparent;  ///< null in JSON when empty
  std::string_view data_json;
};

/// The envelope as one line of minified JSON.
std::string encode_envelope(const EnvelopeFields& fields);

}  // namespace relay::proto
