#include "proto/protobuf_reader.hpp"

#include <doctest/doctest.h>

#include "proto/protobuf_writer.hpp"

using namespace relay::proto;

TEST_CASE("what ProtobufWriter writes, ProtobufReader reads back") {
  std::string out;
  ProtobufWriter w(out);
  w.varint(1, 300).varint(2, UINT64_MAX).fixed64(3, 0x0102030405060708ULL).bytes(4, "hello");
  ProtobufReader r(out);
  std::uint32_t field = 0, wire = 0;
  std::uint64_t v = 0;
  std::string_view b;
  REQUIRE(r.tag(field, wire));
  CHECK((field == 1 && wire == 0));
  REQUIRE(r.varint(v));
  CHECK(v == 300);
  REQUIRE(r.tag(field, wire));
  REQUIRE(r.varint(v));
  CHECK(v == UINT64_MAX);  // ten bytes
  REQUIRE(r.tag(field, wire));
  CHECK((field == 3 && wire == 1));
  REQUIRE(r.fixed64(v));
  CHECK(v == 0x0102030405060708ULL);
  REQUIRE(r.tag(field, wire));
  CHECK((field == 4 && wire == 2));
  REQUIRE(r.bytes(b));
  CHECK(b == "hello");
  CHECK(r.done());
}

TEST_CASE("truncated and malformed input is refused, never read past") {
  std::uint64_t v = 0;
  std::string_view b;
  CHECK_FALSE(ProtobufReader("\xff").varint(v));                   // cut short
  CHECK_FALSE(ProtobufReader(std::string(11, '\xff')).varint(v));  // over ten bytes
  CHECK_FALSE(ProtobufReader("\x05"
                             "abc")
                  .bytes(b));                         // length past the end
  CHECK_FALSE(ProtobufReader("1234567").fixed64(v));  // seven of eight bytes
  CHECK_FALSE(ProtobufReader("").skip(1));
  CHECK_FALSE(ProtobufReader("x").skip(3));  // groups are not used
  ProtobufReader skips(std::string("\x01\x02\x03\x04", 4));
  CHECK(skips.skip(5));
  CHECK(skips.done());
}
