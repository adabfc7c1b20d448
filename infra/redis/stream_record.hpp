#pragma once
// A LogRecord as the fields of one Redis Stream entry (DESIGN 7), and back. Every replica
// reads what any replica wrote, so the body is stored as the relay's own input formats and
// read back by the same parsers that validated it at ingest:
//   v=1  kind=domain|generic  body=<CloudEvent JSON | {"type","data","key"}>
//   dedupe=<key>  tp=<traceparent>  ts=<tracestate>   (the last three only when not empty)
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "service/event_log.hpp"

namespace relay::infra {

/// An entry's field/value pairs, in order.
using StreamFields = std::vector<std::pair<std::string, std::string>>;

StreamFields encode_stream_record(const service::LogRecord& record);

/// The record, or why the entry is not one this relay can read (a newer format, a body its
/// parser refuses): the tail treats that as data it must not skip silently.
std::variant<service::LogRecord, std::string> decode_stream_record(const StreamFields& fields);

}  // namespace relay::infra
