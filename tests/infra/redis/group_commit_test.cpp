#include "infra/redis/group_commit.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include "service/relay_error.hpp"

namespace asio = boost::asio;
using namespace relay;

namespace {

service::LogRecord grouped_record(std::string type) {
  return {proto::PublishRequest{std::move(type), "{}", ""}, "", "", ""};
}

// A log that answers each group after a turn of the io_context, numbering its records in
// order (1-0, 2-0, ...), and remembers the groups it was given.
struct CountingLog {
  asio::io_context& io;
  std::vector<std::vector<std::string>> groups;
  std::uint64_t next = 1;
  std::size_t failing_groups = 0;  ///< The first this many groups fail.

  asio::awaitable<infra::GroupAnswer> commit(std::vector<service::LogRecord> records) {
    asio::steady_timer turn(io, std::chrono::milliseconds(1));
    co_await turn.async_wait(asio::use_awaitable);
    if (failing_groups > 0) {
      --failing_groups;
      groups.emplace_back();
      co_return infra::GroupAnswer{make_error_code(error::bus_unavailable), {}, {}};
    }
    infra::GroupAnswer answer;
    auto& types = groups.emplace_back();
    for (const auto& record : records) {
      types.push_back(std::get<proto::PublishRequest>(record.body).type);
      answer.ids.push_back({next++, 0});
      answer.fresh.push_back(types.back() != "retry");
    }
    co_return answer;
  }
};

struct GroupFixture {
  asio::io_context io;
  CountingLog log{io};
  infra::GroupCommit groups{io.get_executor(), 3,
                            [this](std::vector<service::LogRecord> r) { return log.commit(std::move(r)); }};
  std::vector<service::AppendResult> results = std::vector<service::AppendResult>(8);

  void submit(std::size_t slot, std::vector<std::string> types) {
    std::vector<service::LogRecord> records;
    for (auto& t : types) records.push_back(grouped_record(std::move(t)));
    asio::co_spawn(
        io,
        [this, slot, records = std::move(records)]() mutable -> asio::awaitable<void> {
          results[slot] = co_await groups.append(std::move(records));
        },
        asio::detached);
  }
};

}  // namespace

TEST_CASE("group commit: appends that arrive during a commit go together in the next group") {
  GroupFixture fx;
  fx.submit(0, {"a"});
  fx.submit(1, {"b"});
  fx.submit(2, {"c", "retry"});
  fx.io.run();
  // The first leads alone; the two that came while it was in flight form the next group.
  REQUIRE(fx.log.groups.size() == 2);
  CHECK(fx.log.groups[0] == std::vector<std::string>{"a"});
  CHECK(fx.log.groups[1] == std::vector<std::string>{"b", "c", "retry"});
  // Each request gets its own ids, in order, and counts only its own new records.
  CHECK(fx.results[0].ids == std::vector<domain::EventId>{{1, 0}});
  CHECK(fx.results[1].ids == std::vector<domain::EventId>{{2, 0}});
  CHECK(fx.results[2].ids == std::vector<domain::EventId>{{3, 0}, {4, 0}});
  CHECK(fx.results[1].stored == 1);
  CHECK(fx.results[2].stored == 1);
}

TEST_CASE("group commit: a group holds whole requests up to its size, a larger one alone") {
  GroupFixture fx;
  fx.submit(0, {"a"});
  fx.submit(1, {"b", "c"});
  fx.submit(2, {"d", "e"});         // would make four: waits for the next group
  fx.submit(3, {"f", "g", "h", "i"});  // larger than a group: goes alone
  fx.io.run();
  REQUIRE(fx.log.groups.size() == 4);
  CHECK(fx.log.groups[1] == std::vector<std::string>{"b", "c"});
  CHECK(fx.log.groups[2] == std::vector<std::string>{"d", "e"});
  CHECK(fx.log.groups[3].size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK_FALSE(fx.results[i].error);
  CHECK(fx.results[3].ids.front() == domain::EventId{6, 0});
}

TEST_CASE("group commit: a failed group fails each of its requests, and the next group goes on") {
  GroupFixture fx;
  fx.log.failing_groups = 2;
  fx.submit(0, {"a"});
  fx.submit(1, {"b"});
  fx.submit(2, {"c"});
  fx.io.run();
  REQUIRE(fx.log.groups.size() == 2);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(fx.results[i].error == error::bus_unavailable);
    CHECK(fx.results[i].ids.empty());
  }
  fx.io.restart();
  fx.submit(3, {"d"});
  fx.io.run();
  CHECK_FALSE(fx.results[3].error);
  CHECK(fx.results[3].ids == std::vector<domain::EventId>{{1, 0}});
}

TEST_CASE("group commit: a commit that answers for other records than it was given is no answer") {
  asio::io_context io;
  infra::GroupCommit groups{io.get_executor(), 10,
                            [](std::vector<service::LogRecord>) -> asio::awaitable<infra::GroupAnswer> {
                              co_return infra::GroupAnswer{{}, {{1, 0}}, {true}};
                            }};
  service::AppendResult result;
  std::vector<service::LogRecord> two{grouped_record("a"), grouped_record("b")};
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { result = co_await groups.append(std::move(two)); },
                 asio::detached);
  io.run();
  CHECK(result.error == error::bus_unavailable);
  CHECK(result.ids.empty());
}
