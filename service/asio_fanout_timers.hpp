#pragma once
// The fan-out's wake-ups on the io_context: two steady timers (sweeps and their slices share
// one) and the drain's grace. The steady clock is the real one.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "service/fanout_timers.hpp"

namespace relay::service {

class AsioFanoutTimers final : public FanoutTimers {
 public:
  explicit AsioFanoutTimers(const boost::asio::any_io_executor& executor);

  [[nodiscard]] time_point now() const override { return std::chrono::steady_clock::now(); }
  void sweep_at(time_point due) override;
  void next_slice() override;
  void tick_at(time_point due) override;
  void cancel() override;
  boost::asio::awaitable<void> drain_wait(std::chrono::milliseconds grace) override;
  void drained() override;

 private:
  boost::asio::steady_timer sweep_;  ///< The next sweep, or the running sweep's next slice.
  boost::asio::steady_timer tick_;
  boost::asio::steady_timer drain_;  ///< Cancelled when the last subscriber leaves.
};

}  // namespace relay::service
