#include "infra/redis/stream_record.hpp"

#include <doctest/doctest.h>

using namespace relay;
using infra::decode_stream_record;
using infra::encode_stream_record;
using infra::StreamFields;

TEST_CASE("a domain record and a generic record survive a stream entry, context included") {
  service::LogRecord domain_record{
      proto::IngestItem{"/fleet", "e-1", "worker/w-1",
                        domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::running, 42}},
      "/fleet\ne-1", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=x"};
  const auto fields = encode_stream_record(domain_record, 1);
  CHECK(fields.front() == std::pair<std::string, std::string>{"v", "1"});
  auto back = decode_stream_record(fields);
  REQUIRE(std::holds_alternative<service::LogRecord>(back));
  const auto& record = std::get<service::LogRecord>(back);
  CHECK(record.dedupe_key == domain_record.dedupe_key);
  CHECK(record.traceparent == domain_record.traceparent);
  CHECK(record.tracestate == "vendor=x");
  const auto& item = std::get<proto::IngestItem>(record.body);
  CHECK(item.subject == "worker/w-1");
  const auto& update = std::get<domain::WorkerStatusUpdated>(item.event);
  CHECK(update.status == domain::WorkerStatus::running);
  CHECK(update.updated_at_ms == 42);

  service::LogRecord generic{proto::PublishRequest{"orders.created", R"({"n":[1,2.5,"x"]})", "k-1"},
                             "", "", ""};
  const auto generic_fields = encode_stream_record(generic, 1);
  CHECK(generic_fields.size() == 3);  // v, kind, body: empty context is not written
  auto generic_back = decode_stream_record(generic_fields);
  REQUIRE(std::holds_alternative<service::LogRecord>(generic_back));
  const auto& request = std::get<proto::PublishRequest>(std::get<service::LogRecord>(generic_back).body);
  CHECK(request.type == "orders.created");
  CHECK(request.data_json == R"({"n":[1,2.5,"x"]})");
  CHECK(request.key == "k-1");
}

TEST_CASE("an entry this relay cannot read says why, never a silent default") {
  auto why = [](StreamFields fields) {
    auto r = decode_stream_record(fields);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
  };
  CHECK(why({{"v", "3"}, {"kind", "generic"}, {"body", "{}"}}).find("v='3'") != std::string::npos);
  CHECK(why({{"r", "3g 0 0 0\n{}"}}).find("header") != std::string::npos);
  CHECK(why({{"r", "2g 0 0\n{}"}}).find("three lengths") != std::string::npos);
  CHECK(why({{"r", "2g 5 0 0\nabc"}}) == "v2 record shorter than its header says");
  CHECK(why({{"r", "2g 0 18446744073709551615 0\n{}"}}) == "v2 record shorter than its header says");
  CHECK(why({{"r", "2g 0 0 0\n{\"type\":\"x\"}"}}).find("generic record refused") != std::string::npos);
  CHECK(why({{"v", "1"}, {"kind", "generic"}}) == "record without kind or body");
  CHECK(why({{"v", "1"}, {"kind", "mystery"}, {"body", "{}"}}) == "unknown record kind 'mystery'");
  CHECK(why({{"v", "1"}, {"kind", "domain"}, {"body", R"({"specversion":"0.3"})"}})
            .find("domain record refused") != std::string::npos);
  CHECK(why({{"v", "1"}, {"kind", "generic"}, {"body", R"({"type":"system.x","data":1})"}})
            .find("generic record refused") != std::string::npos);
}

TEST_CASE("v2: one field per record, binary-safe dedupe keys and context, read back whole") {
  service::LogRecord domain_record{
      proto::IngestItem{"/fleet", "e-1", "",
                        domain::WorkerStatusUpdated{"w-1", domain::WorkerStatus::stopped, 7}},
      "/fleet\x1f" "e-1\n2 3", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ""};
  const auto fields = encode_stream_record(domain_record);
  REQUIRE(fields.size() == 1);
  CHECK(fields[0].first == "r");
  CHECK(fields[0].second.starts_with("2d 14 55 0\n/fleet\x1f" "e-1\n2 300-0af7"));
  auto back = decode_stream_record(fields);
  REQUIRE(std::holds_alternative<service::LogRecord>(back));
  const auto& record = std::get<service::LogRecord>(back);
  CHECK(record.dedupe_key == domain_record.dedupe_key);
  CHECK(record.traceparent == domain_record.traceparent);
  CHECK(record.tracestate.empty());
  CHECK(std::get<domain::WorkerStatusUpdated>(std::get<proto::IngestItem>(record.body).event).updated_at_ms == 7);

  service::LogRecord generic{proto::PublishRequest{"orders.created", R"({"n":1})", ""}, "", "", "a=b"};
  const auto generic_fields = encode_stream_record(generic);
  CHECK(generic_fields == StreamFields{{"r", "2g 0 0 3\na=b{\"type\":\"orders.created\",\"data\":{\"n\":1}}"}});
  auto generic_back = decode_stream_record(generic_fields);
  REQUIRE(std::holds_alternative<service::LogRecord>(generic_back));
  CHECK(std::get<service::LogRecord>(generic_back).tracestate == "a=b");
}
