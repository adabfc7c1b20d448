#include "infra/redis/redis_appender.hpp"

#include <doctest/doctest.h>

#include "infra/redis/stream_record.hpp"

using namespace relay;
using infra::RedisValue;
using ValueKind = RedisValue::Kind;

namespace {
RedisValue text(std::string s) { return {ValueKind::string, std::move(s), 0, {}}; }
RedisValue number(long long n) { return {ValueKind::integer, "", n, {}}; }
RedisValue array(std::vector<RedisValue> e) { return {ValueKind::array, "", 0, std::move(e)}; }
service::LogRecord generic(std::string dedupe) {
  return {proto::PublishRequest{"t", R"({"n":1})", ""}, std::move(dedupe), "", ""};
}
}  // namespace

TEST_CASE("append reply: ids in request order and which were new") {
  const auto reply = array({text("10"), array({text("5-0"), text("4-0")}), number(41)});
  const auto answer = infra::read_append_reply(reply, 2);
  REQUIRE(answer);
  CHECK(answer->fresh == std::vector<bool>{true, false});
  CHECK(answer->ordinal == 41);
  CHECK(answer->ids == std::vector<domain::EventId>{{5, 0}, {4, 0}});
}

TEST_CASE("append reply: anything else is no answer, never a guessed id") {
  CHECK_FALSE(infra::read_append_reply(RedisValue{ValueKind::error, "ERR x", 0, {}}, 1));
  CHECK_FALSE(infra::read_append_reply(array({text("1"), array({text("5-0")}), number(0)}), 2));  // count
  CHECK_FALSE(infra::read_append_reply(array({text("11"), array({text("5-0")}), number(0)}), 1));  // flags
  CHECK_FALSE(infra::read_append_reply(array({text("x"), array({text("5-0")}), number(0)}), 1));
  CHECK_FALSE(infra::read_append_reply(array({text("1"), array({text("five")}), number(0)}), 1));
  CHECK_FALSE(infra::read_append_reply(array({number(1), array({text("5-0")}), number(0)}), 1));
  CHECK_FALSE(infra::read_append_reply(array({text("1"), array({text("5-0")})}), 1));  // no ordinal
  CHECK_FALSE(infra::read_append_reply(array({text("1"), array({text("5-0")}), number(-1)}), 1));
}

TEST_CASE("append call: the script's sha, keys, bounds, then per record its dedupe key and fields") {
  infra::RedisBusConfig config;
  config.stream = "s";
  config.max_length = 7;
  config.dedupe_ttl_s = 9;
  const infra::BusKeys keys(config);
  const auto args = infra::append_call("SHA", keys, config, {generic("k1"), generic("")}, "E", false);
  REQUIRE(args.size() > 11);
  CHECK(std::vector<std::string>(args.begin(), args.begin() + 11) ==
        std::vector<std::string>{"EVALSHA", "SHA", "3", "s", "s:epoch", "s:count", "7", "9", "s:dedupe:",
                                 "E", "2"});
  CHECK(args[11] == "k1");
  const auto fields = std::stoul(args[12]);
  CHECK(args[13 + fields * 2] == "");  // the second record: no dedupe key
}

TEST_CASE("append call: a group without dedupe keys in v2 goes as the plain script: bounds, then values") {
  infra::RedisBusConfig config;
  config.stream = "s";
  config.max_length = 7;
  const infra::BusKeys keys(config);
  const std::vector<service::LogRecord> plain{generic(""), generic("")};
  CHECK(infra::plain_group(config, plain));
  const auto args = infra::append_call("SHA", keys, config, plain, "E", true);
  REQUIRE(args.size() == 10);
  CHECK(std::vector<std::string>(args.begin(), args.begin() + 8) ==
        std::vector<std::string>{"EVALSHA", "SHA", "3", "s", "s:epoch", "s:count", "7", "E"});
  CHECK(args[8] == infra::encode_record_v2(plain[0]));
  // A key anywhere in the group, or v1 entries: the full script.
  CHECK_FALSE(infra::plain_group(config, {generic(""), generic("k")}));
  config.record_format = 1;
  CHECK_FALSE(infra::plain_group(config, plain));
}
