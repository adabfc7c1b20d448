#include "infra/redis/carried_records.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

using namespace relay;
using infra::CarriedRecords;

namespace {
service::LogRecord carried_record(std::string type, std::size_t data_bytes = 2) {
  return {proto::PublishRequest{std::move(type), std::string(data_bytes, '1'), ""}, "", "", ""};
}
std::string carried_type(const std::optional<service::LogRecord>& r) {
  return r ? std::get<proto::PublishRequest>(r->body).type : std::string("(none)");
}
}  // namespace

TEST_CASE("carried records: the tail takes each record at its entry, in id order") {
  boost::asio::io_context io;
  CarriedRecords carried(io.get_executor(), 100, 1 << 20);
  carried.keep({5, 0}, 1, carried_record("a"));
  carried.keep({5, 1}, 2, carried_record("b"));
  carried.keep({7, 0}, 4, carried_record("c"));
  CHECK(carried_type(carried.take({5, 0}, 1)) == "a");
  // An entry another replica appended between ours: decoded, and ours stay.
  CHECK(carried_type(carried.take({5, 0}, std::nullopt)) == "(none)");
  CHECK(carried_type(carried.take({6, 0}, 3)) == "(none)");
  CHECK(carried.size() == 1);  // b was passed without being taken (trimmed unread): dropped
  CHECK(carried_type(carried.take({7, 0}, 4)) == "c");
  CHECK(carried.size() == 0);
  CHECK(carried.bytes() == 0);
}

TEST_CASE("carried records: the same id with another ordinal is another entry (a wiped stream)") {
  boost::asio::io_context io;
  CarriedRecords carried(io.get_executor(), 100, 1 << 20);
  carried.keep({9, 0}, 12, carried_record("old"));
  CHECK(carried_type(carried.take({9, 0}, 1)) == "(none)");
  CHECK(carried.size() == 0);
}

TEST_CASE("carried records: nothing the tail already passed, nothing out of order, nothing past the bounds") {
  boost::asio::io_context io;
  CarriedRecords carried(io.get_executor(), 2, 1 << 20);
  CHECK(carried_type(carried.take({10, 0}, 1)) == "(none)");
  carried.keep({9, 0}, 1, carried_record("late"));  // the tail read it before the answer came
  carried.keep({11, 0}, 2, carried_record("x"));
  carried.keep({10, 5}, 3, carried_record("behind"));
  carried.keep({12, 0}, 3, carried_record("y"));
  carried.keep({13, 0}, 4, carried_record("over"));  // more than two records
  CHECK(carried.size() == 2);
  CHECK(carried_type(carried.take({12, 0}, 3)) == "y");

  CarriedRecords small(io.get_executor(), 100, 2000);
  small.keep({1, 0}, 1, carried_record("big", 4000));
  CHECK(small.size() == 0);
  small.keep({2, 0}, 2, carried_record("fits"));
  CHECK(small.size() == 1);
  small.clear();
  CHECK(small.size() == 0);
  CHECK(small.bytes() == 0);
  small.keep({1, 0}, 1, carried_record("after a clear, ids start over"));
  CHECK(small.size() == 1);
}

TEST_CASE("carried records: the tail waits for the groups sent before it read, not for later ones") {
  boost::asio::io_context io;
  CarriedRecords carried(io.get_executor(), 100, 1 << 20);
  const auto first = carried.sending();
  const auto second = carried.sending();
  bool waited = false;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> {
        co_await carried.until_settled();
        waited = true;
      },
      boost::asio::detached);
  io.poll();
  CHECK_FALSE(waited);
  carried.settle(first);
  io.poll();
  CHECK_FALSE(waited);
  const auto third = carried.sending();  // sent after the tail's read: not waited for
  carried.settle(second);
  io.poll();
  CHECK(waited);
  carried.settle(third);
}
