#include "infra/redis/redis_connection.hpp"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include "../../support/redis_server.hpp"

namespace asio = boost::asio;
using relay::infra::RedisConnection;
using relay::infra::RedisResult;
using relay::infra::RedisValue;

namespace {

// Drives a RedisConnection from plain test code: each call runs the io_context until the
// awaited operation is done (the tests stay free of coroutine lambdas).
struct Client {
  asio::io_context io;
  std::shared_ptr<RedisConnection> conn = std::make_shared<RedisConnection>(io.get_executor());

  template <class T>
  T wait(std::future<T> future) {
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      if (io.run_one() == 0) io.restart();  // it ran out of work earlier: stopped until restarted
    }
    return future.get();
  }
  boost::system::error_code connect(std::uint16_t port) {
    return wait(asio::co_spawn(io, conn->connect("127.0.0.1", port, std::chrono::seconds(2)),
                               asio::use_future));
  }
  RedisResult call(std::vector<std::string> args) {
    return wait(asio::co_spawn(io, conn->command(std::move(args)), asio::use_future));
  }
  RedisValue value(std::vector<std::string> args) {
    auto r = call(std::move(args));
    REQUIRE(std::holds_alternative<RedisValue>(r));
    return std::get<RedisValue>(r);
  }
};

}  // namespace

TEST_CASE("commands and replies of every kind over a real redis-server, binary-safe") {
  relay::test::RedisServer redis;
  Client c;
  REQUIRE_FALSE(c.connect(redis.port()));
  const std::string binary("a\0b\r\nc", 6);
  CHECK(c.value({"SET", "k", binary}).text == "OK");
  const auto got = c.value({"GET", "k"});
  CHECK(got.kind == RedisValue::Kind::string);
  CHECK(got.text == binary);
  CHECK(c.value({"GET", "missing"}).is_nil());
  CHECK(c.value({"INCRBY", "n", "41"}).integer == 41);
  CHECK(c.value({"XADD", "s", "*", "f", "v"}).text.find('-') != std::string::npos);
  const auto range = c.value({"XRANGE", "s", "-", "+"});
  REQUIRE(range.elements.size() == 1);
  CHECK(range.elements[0].elements[1].elements[1].text == "v");
  const auto error = c.value({"INCR", "k"});
  CHECK(error.is_error());
  CHECK(error.text.find("not an integer") != std::string::npos);
  c.conn->close();
}

TEST_CASE("concurrent callers on one connection get their own replies, in order") {
  relay::test::RedisServer redis;
  Client c;
  REQUIRE_FALSE(c.connect(redis.port()));
  std::vector<std::future<RedisResult>> futures;
  for (int i = 0; i < 200; ++i) {
    futures.push_back(asio::co_spawn(
        c.io, c.conn->command(std::vector<std::string>{"ECHO", std::to_string(i)}),
        asio::use_future));
  }
  for (int i = 0; i < 200; ++i) {
    auto r = c.wait(std::move(futures[static_cast<std::size_t>(i)]));
    REQUIRE(std::holds_alternative<RedisValue>(r));
    CHECK(std::get<RedisValue>(r).text == std::to_string(i));
  }
  c.conn->close();
}

TEST_CASE("a server that dies fails pending and later commands with an error, not a hang") {
  relay::test::RedisServer redis;
  Client c;
  REQUIRE_FALSE(c.connect(redis.port()));
  auto blocked = asio::co_spawn(
      c.io, c.conn->command(std::vector<std::string>{"BLPOP", "nothing", "0"}), asio::use_future);
  c.io.run_for(std::chrono::milliseconds(50));  // written, waiting on the live server
  redis.stop();
  // BLPOP waits forever on a live server; the dead one must answer with an error.
  CHECK(std::holds_alternative<boost::system::error_code>(c.wait(std::move(blocked))));
  CHECK_FALSE(c.conn->connected());
  CHECK(std::holds_alternative<boost::system::error_code>(c.call({"PING"})));
  // Nobody listens there now: connecting fails (refused, or the timeout), never hangs.
  Client again;
  CHECK(again.connect(redis.port()));
}

TEST_CASE("a command without a reply by its deadline answers timed_out, and so does every one "
          "behind it: the connection is failed, never left to pair a late reply") {
  Client client;
  // A peer that accepts and never answers: what a frozen (SIGSTOPped) Redis looks like.
  asio::ip::tcp::acceptor silent(client.io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket accepted(client.io);
  silent.async_accept(accepted, [](const boost::system::error_code&) {});
  REQUIRE_FALSE(client.connect(silent.local_endpoint().port()));
  client.conn->set_command_timeout(std::chrono::milliseconds(100));
  auto first = asio::co_spawn(client.io, client.conn->command({"PING"}), asio::use_future);
  auto longer = asio::co_spawn(client.io, client.conn->command({"XREAD", "BLOCK", "5000"},
                                                               std::chrono::milliseconds(5000)),
                               asio::use_future);
  const auto started = std::chrono::steady_clock::now();
  const auto result = client.wait(std::move(first));
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(std::holds_alternative<boost::system::error_code>(result));
  CHECK(std::get<boost::system::error_code>(result) == asio::error::timed_out);
  CHECK(took >= std::chrono::milliseconds(90));
  CHECK(took < std::chrono::milliseconds(2000));
  // Queued behind it on the same connection, with a deadline of its own far off: it fails too.
  const auto behind = client.wait(std::move(longer));
  REQUIRE(std::holds_alternative<boost::system::error_code>(behind));
  CHECK(std::get<boost::system::error_code>(behind) == asio::error::timed_out);
  CHECK_FALSE(client.conn->connected());
  const auto later = client.call({"PING"});
  CHECK(std::holds_alternative<boost::system::error_code>(later));
}
