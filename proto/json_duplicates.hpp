#pragma once
// RFC 8259 leaves duplicate object keys to the reader: JavaScript and Python keep the last,
// simdjson's at_key finds the first. A body whose keys repeat would mean one thing to the
// relay and another to the producer's and the browser's code, so it is refused whole.
#include <optional>
#include <string>

#include <simdjson.h>

namespace relay::proto {

/// The JSON Pointer (RFC 6901) of the first key that appears a second time in its object,
/// anywhere in `root`; nullopt when every object's keys are distinct.
std::optional<std::string> find_duplicate_key(simdjson::dom::element root);

}  // namespace relay::proto
