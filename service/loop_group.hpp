#pragma once
// The long-lived coroutines of one part (the Redis bus's link, tail, monitor, snapshot
// writes), started together and ended together: each is spawned with a cancellation slot of
// its own, cancel() ends them all at their next wait, and every ending is logged (a failure
// as an error, naming the loop) instead of vanishing into `detached`.
//
// Lifetime: a loop must keep what it touches alive itself (its owner's shared_from_this());
// cancellation only makes it stop waiting promptly.
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "service/telemetry/logger.hpp"

namespace relay::service {

class LoopGroup {
 public:
  LoopGroup(boost::asio::any_io_executor executor, Logger& logger, std::string owner);
  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;
  ~LoopGroup();

  /// Runs `loop` on the executor until it returns or cancel() is called.
  void spawn(std::string name, boost::asio::awaitable<void> loop);
  /// Cancels every loop (terminal cancellation: their current wait ends with
  /// operation_aborted). Later spawn() calls are refused.
  void cancel();
  [[nodiscard]] bool cancelled() const { return cancelled_; }

 private:
  boost::asio::any_io_executor executor_;
  Logger& logger_;
  std::string owner_;
  bool cancelled_ = false;
  /// Shared with each loop's completion handler, which may run after this group is gone.
  std::vector<std::shared_ptr<boost::asio::cancellation_signal>> signals_;
};

}  // namespace relay::service
