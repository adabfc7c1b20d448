#pragma once
// The inverse of parse_cloudevents for one validated item: the CloudEvent JSON a shared log
// (Redis Streams, DESIGN 7) stores, read back by the same parser on every replica. What is
// written parses to an equal item (tested for every event type).
#include <string>

#include "proto/cloudevents.hpp"

namespace relay::proto {

/// `{"specversion":"1.0","id","source","type","subject"?,"data":{...}}` with the long type
/// name, RFC 3339 times to the millisecond and numbers in their shortest exact form.
std::string write_cloudevent(const IngestItem& item);

}  // namespace relay::proto
