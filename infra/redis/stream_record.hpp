#pragma once
// A LogRecord as the fields of one Redis Stream entry (DESIGN 7), and back. Every replica
// reads what any replica wrote, so the body is stored as the relay's own input formats and
// read back by the same parsers that validated it at ingest. Two formats:
//   v1  v=1  kind=domain|generic  body=<CloudEvent JSON | {"type","data","key"}>
//       dedupe=<key>  tp=<traceparent>  ts=<tracestate>   (the last three only when not empty)
//   v2  r=<"2" kind(d|g) " " len(dedupe) " " len(tp) " " len(ts) "\n" dedupe tp ts body>
// v2 is one field per record (fewer RESP elements to write, store, AOF and read back: issue
// 25); v1 is still read, and written when RELAY_BUS_RECORD_FORMAT=1 while replicas of a
// release that reads only v1 share the stream (a rolling upgrade).
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "service/event_log.hpp"

namespace relay::infra {

/// An entry's field/value pairs, in order.
using StreamFields = std::vector<std::pair<std::string, std::string>>;
/// The same, viewed where they lie (a Redis reply): decoding copies only what it keeps.
using StreamFieldViews = std::vector<std::pair<std::string_view, std::string_view>>;

/// The entry fields of `record` in `format` (1 or 2; the ordinal `n` is the script's).
StreamFields encode_stream_record(const service::LogRecord& record, unsigned format = 2);

/// The v2 value of the `r` field.
std::string encode_record_v2(const service::LogRecord& record);

/// The record, or why the entry is not one this relay can read (a newer format, a body its
/// parser refuses): the tail treats that as data it must not skip silently.
std::variant<service::LogRecord, std::string> decode_stream_record(const StreamFieldViews& fields);
/// The same for fields held as strings.
std::variant<service::LogRecord, std::string> decode_stream_record(const StreamFields& fields);

/// The record in a v2 `r` value, or why it is not one.
std::variant<service::LogRecord, std::string> decode_record_v2(std::string_view value);

}  // namespace relay::infra
