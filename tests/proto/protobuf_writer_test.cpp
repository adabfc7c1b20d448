#include "proto/protobuf_writer.hpp"

#include <doctest/doctest.h>

using relay::proto::ProtobufWriter;

namespace {
std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4U];
    out += digits[c & 0xfU];
  }
  return out;
}
}  // namespace

TEST_CASE("varints: 7 bits per byte, low group first, high bit means more") {
  auto varint = [](std::uint64_t v) {
    std::string out;
    ProtobufWriter::append_varint(out, v);
    return hex(out);
  };
  CHECK(varint(0) == "00");
  CHECK(varint(1) == "01");
  CHECK(varint(127) == "7f");
  CHECK(varint(128) == "8001");
  CHECK(varint(300) == "ac02");  // the protobuf documentation's example
  CHECK(varint(~0ULL) == "ffffffffffffffffff01");
  // int64 -1 is sent as its two's complement: ten bytes.
  CHECK(varint(static_cast<std::uint64_t>(std::int64_t{-1})) == "ffffffffffffffffff01");
}

TEST_CASE("fields: tag is field << 3 | wire type, then the value") {
  std::string out;
  ProtobufWriter w(out);
  w.varint(1, 150);  // the documentation's example: 08 96 01
  CHECK(hex(out) == "089601");
  out.clear();
  w.bytes(2, "testing");  // 12 07 74 65 73 74 69 6e 67
  CHECK(hex(out) == "120774657374696e67");
  out.clear();
  w.fixed64(7, 0x0102030405060708ULL);  // wire type 1, little-endian
  CHECK(hex(out) == "390807060504030201");
  out.clear();
  w.float64(4, 1.0);  // IEEE 754 0x3ff0000000000000, little-endian
  CHECK(hex(out) == "21000000000000f03f");
  out.clear();
  w.varint(16, 1);  // field 16 needs a two-byte tag
  CHECK(hex(out) == "800101");
}

TEST_CASE("nested messages: the length prefix takes as many bytes as the body needs") {
  for (std::size_t body : {0UL, 1UL, 127UL, 128UL, 16383UL, 16384UL, 300000UL}) {
    CAPTURE(body);
    std::string out;
    ProtobufWriter w(out);
    w.varint(9, 5);
    const auto mark = w.begin_message(3);
    if (body > 0) w.bytes(1, std::string(body, 'x'));
    const auto inner = out.size() - mark - 5;
    w.end_message(mark);
    w.varint(9, 6);  // a field after the message lands right after it
    std::string expected_prefix = "\x48\x05\x1a";
    ProtobufWriter::append_varint(expected_prefix, inner);
    CHECK(out.substr(0, expected_prefix.size()) == expected_prefix);
    CHECK(out.size() == expected_prefix.size() + inner + 2);
    CHECK(out.substr(out.size() - 2) == "\x48\x06");
  }
  std::string out;
  ProtobufWriter w(out);
  const auto outer = w.begin_message(1);
  const auto inner = w.begin_message(2);
  w.varint(1, 1);
  w.end_message(inner);
  w.end_message(outer);
  CHECK(hex(out) == "0a0412020801");
}
