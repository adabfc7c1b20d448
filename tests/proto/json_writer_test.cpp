#include "proto/json_writer.hpp"

#include <doctest/doctest.h>

using namespace relay::proto;

TEST_CASE("strings are escaped for JSON") {
  std::string out;
  append_json_string(out, "a\"b\\c\nd\re\tf\x01g\x7f");
  CHECK(out == R"("a\"b\\c\nd\re\tf\u0001g\u007f")");
  out.clear();
  append_json_string(out, "h\xC3\xA9llo \xF0\x9F\x98\x80");  // UTF-8 passes through
  CHECK(out == "\"h\xC3\xA9llo \xF0\x9F\x98\x80\"");
}

TEST_CASE("objects are written field by field, empty optional strings as null") {
  std::string out;
  JsonObjectWriter(out)
      .string("a", "x")
      .number("b", -2)
      .unsigned_number("c", 3)
      .boolean("d", true)
      .string_or_null("e", "")
      .raw("f", "[1]")
      .close();
  CHECK(out == R"({"a":"x","b":-2,"c":3,"d":true,"e":null,"f":[1]})");
}
