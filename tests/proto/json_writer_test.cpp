#include "proto/json_writer.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

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

TEST_CASE("strings stay valid UTF-8 whatever the input: ill-formed bytes become U+FFFD") {
  auto json = [](std::string_view text) {
    std::string out;
    relay::proto::append_json_string(out, text);
    return out;
  };
  const std::string fffd = "\xef\xbf\xbd";  // U+FFFD in UTF-8
  auto quoted = [](const std::string& s) { return "\"" + s + "\""; };
  const std::string good = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  CHECK(json(good) == quoted(good));
  CHECK(json("a\xff" "b") == quoted("a" + fffd + "b"));
  CHECK(json("\xc0\xaf") == quoted(fffd + fffd));                        // overlong '/'
  CHECK(json("\xed\xa0\x80") == quoted(fffd + fffd + fffd));             // a surrogate
  CHECK(json("\xf4\x90\x80\x80") == quoted(fffd + fffd + fffd + fffd));  // above U+10FFFF
  CHECK(json("\xe2\x82") == quoted(fffd + fffd));                        // cut short
  CHECK(json("\x80") == quoted(fffd));                                   // stray continuation
  // Every output is a JSON text simdjson (which validates UTF-8) accepts.
  for (std::string_view bad : {"\xff", "\xc3", "\xe0\x80\x80", "x\xf8\x88\x80\x80\x80"}) {
    simdjson::dom::parser parser;
    CHECK(parser.parse(json(bad)).error() == simdjson::SUCCESS);
  }
}
