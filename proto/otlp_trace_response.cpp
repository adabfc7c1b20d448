#include "proto/otlp_trace_response.hpp"

namespace relay::proto {

namespace {

// Just enough of a wire-format reader for this message: tags, varints, skipping the
// fixed-width types and length-delimited payloads.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  [[nodiscard]] bool done() const { return in_.empty(); }
  bool varint(std::uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const auto b = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      out |= static_cast<std::uint64_t>(b & 0x7fU) << shift;
      if ((b & 0x80U) == 0) return true;
    }
    return false;
  }
  bool bytes(std::string_view& out) {
    std::uint64_t n = 0;
    if (!varint(n) || n > in_.size()) return false;
    out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool skip(std::uint32_t wire) {
    std::uint64_t ignored = 0;
    std::string_view skipped;
    switch (wire) {
      case 0:
        return varint(ignored);
      case 1:
        return take(8);
      case 2:
        return bytes(skipped);
      case 5:
        return take(4);
      default:
        return false;  // groups (3, 4) are not used by OTLP
    }
  }

 private:
  bool take(std::size_t n) {
    if (in_.size() < n) return false;
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

bool parse_partial_success(std::string_view body, ExportTraceAnswer& out) {
  Reader r(body);
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.varint(tag)) return false;
    const auto field = tag >> 3U;
    const auto wire = static_cast<std::uint32_t>(tag & 7U);
    if (field == 1 && wire == 0) {  // int64 rejected_spans
      std::uint64_t v = 0;
      if (!r.varint(v)) return false;
      out.rejected_spans = static_cast<std::int64_t>(v);
    } else if (field == 2 && wire == 2) {  // string error_message
      std::string_view text;
      if (!r.bytes(text)) return false;
      out.error_message = std::string(text);
    } else if (!r.skip(wire)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<ExportTraceAnswer> parse_export_trace_response(std::string_view body) {
  ExportTraceAnswer answer;
  Reader r(body);
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.varint(tag)) return std::nullopt;
    const auto field = tag >> 3U;
    const auto wire = static_cast<std::uint32_t>(tag & 7U);
    if (field == 1 && wire == 2) {  // ExportTracePartialSuccess partial_success
      std::string_view inner;
      if (!r.bytes(inner) || !parse_partial_success(inner, answer)) return std::nullopt;
    } else if (!r.skip(wire)) {
      return std::nullopt;
    }
  }
  return answer;
}

}  // namespace relay::proto
