#include "infra/redis/link_machine.hpp"

#include <algorithm>

namespace relay::infra {

LinkAction LinkMachine::start() {
  if (state_ == State::closed) return {LinkAction::Kind::stop};
  state_ = State::connecting;
  return {LinkAction::Kind::connect};
}

LinkAction LinkMachine::on_connected(time_point /*now*/) {
  if (state_ == State::closed) return {LinkAction::Kind::stop};
  if (down_since_ != time_point{}) ++reconnects_;
  down_since_ = {};
  ever_connected_ = true;
  backoff_ = timings_.first_backoff;
  state_ = State::up;
  return {LinkAction::Kind::watch};
}

LinkAction LinkMachine::on_connect_failed(std::uint32_t random) {
  if (state_ == State::closed) return {LinkAction::Kind::stop};
  state_ = State::backing_off;
  const auto span = static_cast<std::uint64_t>(backoff_.count()) + 1;
  const auto delay = backoff_ / 2 + std::chrono::milliseconds(random % span);
  backoff_ = std::min(backoff_ * 2, timings_.max_backoff);
  return {LinkAction::Kind::wait, delay};
}

LinkAction LinkMachine::on_waited() {
  if (state_ == State::closed) return {LinkAction::Kind::stop};
  state_ = State::connecting;
  return {LinkAction::Kind::connect};
}

LinkAction LinkMachine::on_lost(time_point now) {
  if (state_ == State::closed) return {LinkAction::Kind::stop};
  if (down_since_ == time_point{}) down_since_ = now;
  state_ = State::connecting;
  return {LinkAction::Kind::connect};  // at once: most losses are a restart that is over
}

LinkAction LinkMachine::close() {
  state_ = State::closed;
  return {LinkAction::Kind::stop};
}

LinkReadiness LinkMachine::readiness(time_point now) const {
  if (state_ == State::up) return {};
  if (!ever_connected_) return {false, "the Redis bus is not connected yet"};
  if (down_since_ != time_point{} && now - down_since_ >= timings_.ready_grace) {
    return {false, "the Redis bus is unreachable"};
  }
  return {};
}

}  // namespace relay::infra
