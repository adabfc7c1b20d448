#include "service/loop_group.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

namespace asio = boost::asio;
using relay::service::LoopGroup;

namespace {

// A logger into a temporary file; text() ends the logger (which flushes it) and reads.
struct Logged {
  std::FILE* file = std::tmpfile();
  std::unique_ptr<relay::service::Logger> owner =
      std::make_unique<relay::service::Logger>(file, relay::service::LogLevel::debug);
  relay::service::Logger& logger = *owner;
  ~Logged() {
    owner.reset();
    std::fclose(file);
  }
  std::string text() {
    owner.reset();
    std::string out;
    std::rewind(file);
    for (int c; (c = std::fgetc(file)) != EOF;) out.push_back(static_cast<char>(c));
    return out;
  }
};

asio::awaitable<void> wait_long(bool& woke) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::hours(1));
  co_await timer.async_wait(asio::use_awaitable);
  woke = true;
}

asio::awaitable<void> quick() { co_return; }

asio::awaitable<void> fails() {
  throw std::runtime_error("the tail broke");
  co_return;
}

}  // namespace

TEST_CASE("loop group: cancel ends a waiting loop at its wait, even called outside run()") {
  asio::io_context io;
  Logged log;
  bool woke = false;
  {
    LoopGroup group(io.get_executor(), log.logger, "bus");
    group.spawn("tail", wait_long(woke));
    group.spawn("probe", quick());
    io.run_for(std::chrono::milliseconds(10));  // "probe" has ended, "tail" waits
    group.cancel();
    CHECK(group.cancelled());
    group.spawn("late", quick());  // refused after cancel
  }  // the group is gone before the queued cancellation runs
  io.run_for(std::chrono::milliseconds(50));
  CHECK(io.stopped());  // nothing left waiting
  CHECK_FALSE(woke);
  auto text = log.text();
  CHECK(text.find(R"("loop ended","part":"bus","loop":"probe")") != std::string::npos);
  CHECK(text.find(R"("loop cancelled","part":"bus","loop":"tail")") != std::string::npos);
  CHECK(text.find("late") == std::string::npos);
}

TEST_CASE("loop group: a loop that throws is logged as an error naming it, not lost in detached") {
  asio::io_context io;
  Logged log;
  LoopGroup group(io.get_executor(), log.logger, "bus");
  group.spawn("tail", fails());
  io.run_for(std::chrono::milliseconds(20));
  auto text = log.text();
  CHECK(text.find(R"("level":"error")") != std::string::npos);
  CHECK(text.find(R"("loop failed","part":"bus","loop":"tail","error":"the tail broke")") !=
        std::string::npos);
}
