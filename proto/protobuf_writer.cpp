#include "proto/protobuf_writer.hpp"

#include <bit>
#include <cstring>

namespace relay::proto {

namespace {
constexpr std::size_t max_length_bytes = 5;  // a varint of up to 2^35 - 1: any message we build
}

void ProtobufWriter::append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7fU) | 0x80U));
    value >>= 7U;
  }
  out.push_back(static_cast<char>(value));
}

void ProtobufWriter::tag(std::uint32_t field, WireType type) {
  append_varint(out_, (static_cast<std::uint64_t>(field) << 3U) | type);
}

ProtobufWriter& ProtobufWriter::varint(std::uint32_t field, std::uint64_t value) {
  tag(field, varint_type);
  append_varint(out_, value);
  return *this;
}

ProtobufWriter& ProtobufWriter::fixed64(std::uint32_t field, std::uint64_t value) {
  tag(field, fixed64_type);
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((value >> (8U * i)) & 0xffU));
  return *this;
}

ProtobufWriter& ProtobufWriter::float64(std::uint32_t field, double value) {
  return fixed64(field, std::bit_cast<std::uint64_t>(value));
}

ProtobufWriter& ProtobufWriter::bytes(std::uint32_t field, std::string_view value) {
  tag(field, length_type);
  append_varint(out_, value.size());
  out_.append(value);
  return *this;
}

std::size_t ProtobufWriter::begin_message(std::uint32_t field) {
  tag(field, length_type);
  const auto mark = out_.size();
  out_.append(max_length_bytes, '\0');
  return mark;
}

void ProtobufWriter::end_message(std::size_t mark) {
  const auto body = mark + max_length_bytes;
  const auto length = out_.size() - body;
  std::string prefix;
  append_varint(prefix, length);
  // Move the body left over the unused part of the gap, then write the real length.
  std::memmove(out_.data() + mark + prefix.size(), out_.data() + body, length);
  std::memcpy(out_.data() + mark, prefix.data(), prefix.size());
  out_.resize(mark + prefix.size() + length);
}

}  // namespace relay::proto
