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
  LinkAction action{LinkAction::Kind::watch};
  action.report = failures_in_spell_ > 0;  // a spell of failures is over: say so once
  failures_in_spell_ = 0;
  last_error_.clear();
  return action;
}

LinkAction LinkMachine::on_connect_failed(std::uint32_t random, std::string_view error) {
  if (state_ == State::closed) return {LinkAction::Kind::stop};
  state_ = State::backing_off;
  const auto span = static_cast<std::uint64_t>(backoff_.count()) + 1;
  const auto delay = backoff_ / 2 + std::chrono::milliseconds(random % span);
  backoff_ = std::min(backoff_ * 2, timings_.max_backoff);
  last_error_ = error.empty() ? std::string("no answer") : std::string(error);
  LinkAction action{LinkAction::Kind::wait, delay};
  action.report = failures_in_spell_++ == 0;
  return action;
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
  last_error_ = "the connection was lost";
  return {LinkAction::Kind::connect};  // at once: most losses are a restart that is over
}

LinkAction LinkMachine::close() {
  state_ = State::closed;
  return {LinkAction::Kind::stop};
}

LinkReadiness LinkMachine::readiness(time_point now) const {
  if (state_ == State::up) return {};
  // Named with the address and the last error: "not connected" alone sends an operator
  // looking in every direction at once.
  const auto where = address_.empty() ? std::string() : " at " + address_;
  const auto why = last_error_.empty() ? std::string() : " (last error: " + last_error_ + ")";
  if (!ever_connected_) return {false, "the Redis bus" + where + " is not connected yet" + why};
  if (down_since_ != time_point{} && now - down_since_ >= timings_.ready_grace) {
    return {false, "the Redis bus" + where + " is unreachable" + why};
  }
  return {};
}

}  // namespace relay::infra
