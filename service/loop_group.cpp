#include "service/loop_group.hpp"

#include <exception>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/system/system_error.hpp>

namespace relay::service {

namespace asio = boost::asio;

LoopGroup::LoopGroup(asio::any_io_executor executor, Logger& logger, std::string owner)
    : executor_(std::move(executor)), logger_(logger), owner_(std::move(owner)) {}

LoopGroup::~LoopGroup() { cancel(); }

void LoopGroup::spawn(std::string name, asio::awaitable<void> loop) {
  if (cancelled_) return;
  // Ended loops give their signal back (their handler dropped its share).
  std::erase_if(signals_, [](const auto& signal) { return signal.use_count() == 1; });
  auto signal = std::make_shared<asio::cancellation_signal>();
  signals_.push_back(signal);
  auto ended = [signal, &logger = logger_, owner = owner_,
                name = std::move(name)](const std::exception_ptr& failure) {
    // An ended loop takes nothing more from its signal: a later cancel() must not reach
    // the co_spawn state that is gone.
    signal->slot().clear();
    if (!failure) {
      logger.debug("loop ended", {{"part", owner}, {"loop", name}});
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) {
        logger.debug("loop cancelled", {{"part", owner}, {"loop", name}});
        return;
      }
      logger.error("loop failed", {{"part", owner}, {"loop", name}, {"error", e.what()}});
    } catch (const std::exception& e) {
      logger.error("loop failed", {{"part", owner}, {"loop", name}, {"error", e.what()}});
    } catch (...) {
      logger.error("loop failed", {{"part", owner}, {"loop", name}, {"error", "unknown"}});
    }
  };
  asio::co_spawn(executor_, std::move(loop),
                 asio::bind_cancellation_slot(signal->slot(), std::move(ended)));
}

void LoopGroup::cancel() {
  cancelled_ = true;
  // co_spawn's cancellation handler dispatches the emission onto the loop's executor, so
  // from another thread (or from outside run()) it arrives later: the signals must live
  // until then. Emitting from the executor itself makes the whole chain synchronous, and
  // the lambda holds the signals for as long as it is queued.
  asio::dispatch(executor_, [signals = std::move(signals_)] {
    for (const auto& signal : signals) signal->emit(asio::cancellation_type::terminal);
  });
  signals_.clear();
}

}  // namespace relay::service
