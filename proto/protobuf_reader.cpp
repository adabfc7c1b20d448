#include "proto/protobuf_reader.hpp"

namespace relay::proto {

bool ProtobufReader::tag(std::uint32_t& field, std::uint32_t& wire) {
  std::uint64_t t = 0;
  if (!varint(t) || (t >> 3U) > UINT32_MAX) return false;
  field = static_cast<std::uint32_t>(t >> 3U);
  wire = static_cast<std::uint32_t>(t & 7U);
  return true;
}

bool ProtobufReader::varint(std::uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in_.empty()) return false;
    const auto b = static_cast<unsigned char>(in_.front());
    in_.remove_prefix(1);
    out |= static_cast<std::uint64_t>(b & 0x7fU) << shift;
    if ((b & 0x80U) == 0) return true;
  }
  return false;  // more than ten bytes: not a varint
}

bool ProtobufReader::fixed64(std::uint64_t& out) {
  if (in_.size() < 8) return false;
  out = 0;
  for (int i = 7; i >= 0; --i) {
    out = (out << 8U) | static_cast<unsigned char>(in_[static_cast<std::size_t>(i)]);
  }
  in_.remove_prefix(8);
  return true;
}

bool ProtobufReader::bytes(std::string_view& out) {
  std::uint64_t n = 0;
  if (!varint(n) || n > in_.size()) return false;
  out = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

bool ProtobufReader::skip(std::uint32_t wire) {
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
      return false;
  }
}

bool ProtobufReader::take(std::size_t n) {
  if (in_.size() < n) return false;
  in_.remove_prefix(n);
  return true;
}

}  // namespace relay::proto
