#include "service/relay_error.hpp"

#include <string>

namespace relay {

namespace {

class RelayCategory final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "sse-relay"; }
  [[nodiscard]] std::string message(int value) const override {
    // Words, not the enum's name: this text reaches producers and operators (a problem
    // detail, a log line); to_string() keeps the stable names for labels and fields.
    return std::string(describe(static_cast<error>(value)));
  }
};

}  // namespace

const boost::system::error_category& relay_category() noexcept {
  static const RelayCategory category;
  return category;
}

error to_error(domain::RefusalCode code) noexcept {
  switch (code) {
    case domain::RefusalCode::unknown_worker:
      return error::unknown_worker;
    case domain::RefusalCode::duplicate_worker:
      return error::duplicate_worker;
    case domain::RefusalCode::worker_terminated:
      return error::worker_terminated;
    case domain::RefusalCode::invalid_transition:
      return error::invalid_transition;
    case domain::RefusalCode::too_many_workers:
      return error::too_many_workers;
  }
  return error::invalid_transition;
}

std::string_view to_string(error e) noexcept {
  switch (e) {
    case error::draining:
      return "draining";
    case error::too_many_subscribers:
      return "too_many_subscribers";
    case error::unknown_worker:
      return "unknown_worker";
    case error::duplicate_worker:
      return "duplicate_worker";
    case error::worker_terminated:
      return "worker_terminated";
    case error::invalid_transition:
      return "invalid_transition";
    case error::bus_unavailable:
      return "bus_unavailable";
    case error::too_many_workers:
      return "too_many_workers";
    case error::catching_up:
      return "catching_up";
    case error::not_replicated:
      return "not_replicated";
    case error::outside_grant:
      return "outside_grant";
  }
  return "unknown";
}

std::string_view describe(error e) noexcept {
  switch (e) {
    case error::draining:
      return "the relay is shutting down";
    case error::too_many_subscribers:
      return "the relay has reached its subscriber limit";
    case error::unknown_worker:
      return "the worker does not exist";
    case error::duplicate_worker:
      return "the worker already exists";
    case error::worker_terminated:
      return "the worker is terminated";
    case error::invalid_transition:
      return "the worker's lifecycle does not allow this";
    case error::bus_unavailable:
      return "the event log is unavailable";
    case error::too_many_workers:
      return "the read model holds its maximum of workers";
    case error::catching_up:
      return "the replica is still catching up with the event log";
    case error::not_replicated:
      return "the events are not yet confirmed on the Redis replicas";
    case error::outside_grant:
      return "the token does not allow this";
  }
  return "unknown refusal";
}

}  // namespace relay
