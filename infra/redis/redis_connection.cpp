#include "infra/redis/redis_connection.hpp"

#include <array>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <hiredis/hiredis.h>

#include "infra/redis/redis_reply_reader.hpp"

namespace relay::infra {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

RedisConnection::RedisConnection(asio::any_io_executor executor)
    : executor_(std::move(executor)),
      socket_(executor_),
      write_signal_(executor_),
      failed_signal_(executor_) {
  write_signal_.expires_at(asio::steady_timer::time_point::max());
  failed_signal_.expires_at(asio::steady_timer::time_point::max());
}

RedisConnection::~RedisConnection() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<boost::system::error_code> RedisConnection::connect(
    std::string host, std::uint16_t port, std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  tcp::resolver resolver(executor_);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port),
                                                          asio::as_tuple(asio::use_awaitable));
  if (rec) co_return rec;
  asio::steady_timer deadline(executor_, timeout);
  auto outcome = co_await (asio::async_connect(socket_, endpoints, asio::as_tuple(asio::use_awaitable)) ||
                           deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    co_return asio::error::timed_out;
  }
  auto [cec, endpoint] = std::get<0>(outcome);
  if (cec) co_return cec;
  socket_.set_option(tcp::no_delay(true));
  connected_ = true;
  failure_ = {};
  failed_signal_.expires_at(asio::steady_timer::time_point::max());
  auto self = shared_from_this();
  asio::co_spawn(executor_, [self]() { return self->read_loop(); }, asio::detached);
  asio::co_spawn(executor_, [self]() { return self->write_loop(); }, asio::detached);
  co_return boost::system::error_code{};
}

asio::awaitable<RedisResult> RedisConnection::command(std::vector<std::string> args,
                                                      std::chrono::milliseconds deadline) {
  if (!connected_) co_return failure_ ? failure_ : asio::error::not_connected;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(),
                                            lengths.data());
  if (length < 0) co_return asio::error::no_memory;
  outgoing_.append(formatted, static_cast<std::size_t>(length));
  redisFreeCommand(formatted);
  auto pending = std::make_shared<Pending>(executor_);
  if (deadline == std::chrono::milliseconds::zero()) deadline = command_timeout_;
  if (deadline > std::chrono::milliseconds::zero()) {
    pending->done.expires_after(deadline);
  } else {
    pending->done.expires_at(asio::steady_timer::time_point::max());
  }
  pending_.push_back(pending);
  write_signal_.cancel();
  if (!pending->ready) {
    co_await pending->done.async_wait(asio::as_tuple(asio::use_awaitable));
    // Woken by the deadline, not by a reply: every command behind this one would wait on
    // the same silent peer, and a reply that comes later would answer the wrong command.
    if (!pending->ready) fail(asio::error::timed_out);
    if (!pending->ready) pending->result = boost::system::error_code(asio::error::timed_out);
  }
  co_return std::move(pending->result);
}

asio::awaitable<void> RedisConnection::write_loop() {
  auto self = shared_from_this();
  std::string writing;
  while (connected_) {
    if (outgoing_.empty()) {
      co_await write_signal_.async_wait(asio::as_tuple(asio::use_awaitable));
      write_signal_.expires_at(asio::steady_timer::time_point::max());
      continue;
    }
    writing.swap(outgoing_);
    outgoing_.clear();
    auto [ec, n] =
        co_await asio::async_write(socket_, asio::buffer(writing), asio::as_tuple(asio::use_awaitable));
    writing.clear();
    if (ec) {
      fail(ec);
      co_return;
    }
  }
}

asio::awaitable<void> RedisConnection::read_loop() {
  auto self = shared_from_this();
  RedisReplyReader reader;
  std::array<char, std::size_t{16} * 1024> chunk{};
  while (connected_) {
    auto [ec, n] =
        co_await socket_.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
    if (ec) {
      fail(ec);
      co_return;
    }
    if (!reader.feed(std::string_view(chunk.data(), n))) {
      fail(asio::error::invalid_argument);
      co_return;
    }
    for (;;) {
      auto reply = reader.next();
      if (std::holds_alternative<RedisReplyReader::ProtocolError>(reply)) {
        fail(asio::error::invalid_argument);  // a protocol error: the stream is unusable
        co_return;
      }
      if (std::holds_alternative<RedisReplyReader::NeedMore>(reply)) break;
      if (pending_.empty()) {
        fail(asio::error::invalid_argument);  // a reply nobody asked for
        co_return;
      }
      auto waiter = pending_.front();
      pending_.pop_front();
      waiter->result = std::move(std::get<RedisValue>(reply));
      waiter->ready = true;
      waiter->done.cancel();
    }
  }
}

void RedisConnection::fail(boost::system::error_code ec) {
  if (!connected_) return;
  connected_ = false;
  failure_ = ec;
  boost::system::error_code ignored;
  socket_.close(ignored);
  write_signal_.cancel();
  failed_signal_.cancel();
  for (auto& waiter : pending_) {
    waiter->result = ec;
    waiter->ready = true;
    waiter->done.cancel();
  }
  pending_.clear();
  outgoing_.clear();
}

asio::awaitable<void> RedisConnection::until_failed() {
  auto self = shared_from_this();
  // A cancelled wait (the caller's cancellation) ends it as well; connected_ tells which.
  while (connected_) {
    auto [ec] = co_await failed_signal_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec != asio::error::operation_aborted) continue;  // expiry at max(): never
    co_return;
  }
}

void RedisConnection::close() { fail(asio::error::operation_aborted); }

}  // namespace relay::infra
