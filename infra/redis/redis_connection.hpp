#pragma once
// One connection to Redis on an Asio socket (DESIGN 7): hiredis formats the commands and
// parses the replies (its reader and formatter; no RESP parser of ours), Asio does the I/O.
// Commands are pipelined: each caller's command is written in call order and its reply is
// handed back to it in the same order, so several coroutines may share one connection.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "infra/redis/redis_value.hpp"

namespace relay::infra {

/// A reply, or why there is none (the connection failed or was closed).
using RedisResult = std::variant<RedisValue, boost::system::error_code>;

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  explicit RedisConnection(boost::asio::any_io_executor executor);
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;
  ~RedisConnection();

  /// Resolves and connects within `timeout`; starts the reader and writer.
  boost::asio::awaitable<boost::system::error_code> connect(std::string host, std::uint16_t port,
                                                            std::chrono::milliseconds timeout);

  /// Sends one command (each argument binary-safe) and awaits its reply. After a failure,
  /// every pending and later command answers with the error until reconnected.
  /// A command with no reply within its deadline (`deadline`, else the connection's
  /// command timeout; zero: none) answers timed_out and fails the connection: a frozen
  /// Redis is an unreachable one, and a late reply could no longer be told from the next.
  boost::asio::awaitable<RedisResult> command(
      std::vector<std::string> args, std::chrono::milliseconds deadline = std::chrono::milliseconds::zero());

  /// RELAY_BUS_COMMAND_TIMEOUT_MS: the deadline of every command that names none.
  void set_command_timeout(std::chrono::milliseconds timeout) { command_timeout_ = timeout; }

  /// Closes the socket; pending commands answer operation_aborted.
  void close();

  [[nodiscard]] bool connected() const { return connected_; }

  /// Completes when the connection fails or is closed (at once if it is not connected): the
  /// link waits on this instead of polling connected().
  boost::asio::awaitable<void> until_failed();

 private:
  struct Pending {
    explicit Pending(const boost::asio::any_io_executor& executor) : done(executor) {}
    boost::asio::steady_timer done;  ///< Cancelled when `result` is set.
    RedisResult result = boost::system::error_code{};
    bool ready = false;
  };

  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void fail(boost::system::error_code ec);

  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer write_signal_;  ///< Cancelled when there is something to write.
  boost::asio::steady_timer failed_signal_;  ///< Cancelled when the connection fails.
  std::string outgoing_;                    ///< Formatted commands not yet written.
  std::deque<std::shared_ptr<Pending>> pending_;  ///< Awaiting replies, in write order.
  bool connected_ = false;
  std::chrono::milliseconds command_timeout_{0};
  boost::system::error_code failure_;
};

}  // namespace relay::infra
