#pragma once
// The protocol-buffers wire format (https://protobuf.dev/programming-guides/encoding/),
// only what OTLP needs: varints, fixed64, doubles, length-delimited bytes and nested
// messages. Fields are written in the order they are called; zero values are written
// too (callers skip proto3 defaults themselves).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::proto {

class ProtobufWriter {
 public:
  explicit ProtobufWriter(std::string& out) : out_(out) {}

  ProtobufWriter& varint(std::uint32_t field, std::uint64_t value);  ///< int64/uint32/enum/bool
  ProtobufWriter& fixed64(std::uint32_t field, std::uint64_t value);
  ProtobufWriter& float64(std::uint32_t field, double value);
  ProtobufWriter& bytes(std::uint32_t field, std::string_view value);  ///< bytes or string

  /// A nested message: write its fields between begin_message and end_message. The length
  /// is not known up front, so a 5-byte gap is left and closed up afterwards.
  std::size_t begin_message(std::uint32_t field);
  void end_message(std::size_t mark);

  /// Raw varint (no tag), for tests and for the length prefix.
  static void append_varint(std::string& out, std::uint64_t value);

 private:
  enum WireType : std::uint32_t { varint_type = 0, fixed64_type = 1, length_type = 2 };
  void tag(std::uint32_t field, WireType type);

  std::string& out_;
};

}  // namespace relay::proto
