#pragma once
// The collector's answer to an export: ExportTraceServiceResponse. A 200 may still carry a
// partial_success naming how many spans it rejected; those are dropped spans too.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::proto {

struct ExportTraceAnswer {
  std::int64_t rejected_spans = 0;
  std::string error_message;
};

/// Reads an ExportTraceServiceResponse (an empty body is a full success). Unknown fields
/// are skipped, as protobuf readers must; bytes that are not a message give nullopt.
std::optional<ExportTraceAnswer> parse_export_trace_response(std::string_view body);

}  // namespace relay::proto
