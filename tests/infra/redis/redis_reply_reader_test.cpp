#include "infra/redis/redis_reply_reader.hpp"

#include <doctest/doctest.h>

using namespace relay;
using infra::RedisReplyReader;
using infra::RedisValue;
using namespace std::literals;

namespace {
// Every reply in `bytes`, fed one byte at a time (a reply split anywhere).
std::vector<RedisValue> replies_of(std::string_view bytes, bool& protocol_error) {
  RedisReplyReader reader;
  std::vector<RedisValue> out;
  protocol_error = false;
  for (const char c : bytes) {
    REQUIRE(reader.feed(std::string_view(&c, 1)));
    for (;;) {
      auto next = reader.next();
      if (std::holds_alternative<RedisReplyReader::ProtocolError>(next)) {
        protocol_error = true;
        return out;
      }
      if (std::holds_alternative<RedisReplyReader::NeedMore>(next)) break;
      out.push_back(std::move(std::get<RedisValue>(next)));
    }
  }
  return out;
}
}  // namespace

TEST_CASE("reply reader: every RESP2 kind, nested, split at every byte") {
  bool bad = false;
  const auto replies = replies_of(
      "+OK\r\n-ERR no\r\n:-42\r\n$-1\r\n$0\r\n\r\n$5\r\na\r\nb\x00\r\n"
      "*2\r\n*2\r\n$4\r\n1-0\r\r\n*2\r\n$1\r\nr\r\n:7\r\n*-1\r\n*0\r\n"sv,
      bad);
  CHECK_FALSE(bad);
  REQUIRE(replies.size() == 8);
  CHECK((replies[0].kind == RedisValue::Kind::status && replies[0].text == "OK"));
  CHECK((replies[1].is_error() && replies[1].text == "ERR no"));
  CHECK((replies[2].kind == RedisValue::Kind::integer && replies[2].integer == -42));
  CHECK(replies[3].is_nil());
  CHECK((replies[4].kind == RedisValue::Kind::string && replies[4].text.empty()));
  CHECK(replies[5].text == std::string("a\r\nb\0", 5));  // binary-safe
  const auto& entries = replies[6];
  REQUIRE(entries.elements.size() == 2);
  CHECK(entries.elements[0].elements[0].text == "1-0\r");
  CHECK(entries.elements[0].elements[1].elements[0].text == "r");
  CHECK(entries.elements[0].elements[1].elements[1].integer == 7);
  CHECK(entries.elements[1].is_nil());  // a nil array
  CHECK((replies[7].kind == RedisValue::Kind::array && replies[7].elements.empty()));
}

TEST_CASE("reply reader: a protocol error is one, and what came before it stands") {
  bool bad = false;
  const auto replies = replies_of(":1\r\n?what\r\n", bad);
  CHECK(bad);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].integer == 1);
  CHECK(replies_of("*1\r\n$x\r\n", bad).empty());
  CHECK(bad);
  // An array header larger than the bus ever asks for is refused before anything is sized.
  CHECK(replies_of("*70000\r\n", bad).empty());
  CHECK(bad);
}
