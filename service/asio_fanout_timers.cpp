#include "service/asio_fanout_timers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "service/fanout.hpp"

namespace relay::service {

namespace asio = boost::asio;

AsioFanoutTimers::AsioFanoutTimers(const asio::any_io_executor& executor)
    : sweep_(executor), tick_(executor), drain_(executor, asio::steady_timer::time_point::max()) {}

// Each handler returns on an error before touching anything: a cancelled wait may complete
// after the relay (and these timers) are gone.
void AsioFanoutTimers::sweep_at(time_point due) {
  sweep_.expires_at(due);
  sweep_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) fanout_->sweep(now());
  });
}

void AsioFanoutTimers::next_slice() {
  // An expired timer: the handler is queued behind what the loop holds already.
  sweep_.expires_at(asio::steady_timer::time_point::min());
  sweep_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) fanout_->sweep_slice(now());
  });
}

void AsioFanoutTimers::tick_at(time_point due) {
  tick_.expires_at(due);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) fanout_->tick(now());
  });
}

void AsioFanoutTimers::cancel() {
  sweep_.cancel();
  tick_.cancel();
}

asio::awaitable<void> AsioFanoutTimers::drain_wait(std::chrono::milliseconds grace) {
  drain_.expires_after(grace);
  co_await drain_.async_wait(asio::as_tuple(asio::use_awaitable));
}

void AsioFanoutTimers::drained() { drain_.cancel(); }

}  // namespace relay::service
