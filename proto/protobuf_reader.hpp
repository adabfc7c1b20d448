#pragma once
// The wire-format reader beside ProtobufWriter: tags, varints, fixed64 and length-delimited
// fields, with skipping for the types a message does not use. Every read checks its bounds:
// a truncated or malformed input is a false answer, never a read past the end.
#include <cstdint>
#include <string_view>

namespace relay::proto {

class ProtobufReader {
 public:
  explicit ProtobufReader(std::string_view in) : in_(in) {}

  [[nodiscard]] bool done() const { return in_.empty(); }

  /// The next field's tag split into number and wire type.
  bool tag(std::uint32_t& field, std::uint32_t& wire);
  bool varint(std::uint64_t& out);
  bool fixed64(std::uint64_t& out);   ///< Little-endian, as protobuf writes it.
  bool bytes(std::string_view& out);  ///< A length-delimited payload (no copy).
  /// Skips one value of `wire` type; groups (3, 4) are refused, as OTLP does not use them.
  bool skip(std::uint32_t wire);

 private:
  bool take(std::size_t n);
  std::string_view in_;
};

}  // namespace relay::proto
