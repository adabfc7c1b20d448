#pragma once
// What a domain handler (or a generic publish) hands to the relay for broadcast.
#include <string>

namespace relay::domain {

/// One event to broadcast: the SSE type, its payload and the keys subscribers filter on.
struct Notification {
  std::string type;            ///< SSE `event:` name, e.g. "worker.status.updated".
  std::string data_json;       ///< Payload, already valid minified JSON (object, array or scalar).
  std::string conflation_key;  ///< Non-empty: a behind subscriber gets only the newest per key.
  std::string subject;         ///< Envelope subject, e.g. "worker/w-1"; empty when none.
  std::string worker_id;       ///< Matched by `?worker=`; empty for non-worker events.
  std::string region;          ///< The worker's region, which a token may restrict to.
  std::string traceparent;     ///< W3C traceparent of the producing request; empty when none.
  std::string tracestate;      ///< Its tracestate, passed on to the broadcast span.
};

}  // namespace relay::domain
