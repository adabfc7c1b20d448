#pragma once
// An EventLog that stores nothing and reports the health it is given: for tests of the parts
// that only ask the log whether it is ready or positioned (admission, stats).
#include <cstddef>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "service/event_log.hpp"

namespace relay::test {

struct IdleEventLog final : service::EventLog {
  service::LogHealth state;

  boost::asio::awaitable<service::AppendResult> append(std::vector<service::LogRecord>) override {
    co_return service::AppendResult{};
  }
  boost::asio::awaitable<service::LookupResult> lookup(const std::vector<std::string>&) override {
    co_return service::LookupResult{};
  }
  void tail(domain::EventId, service::EventTailer&) override {}
  boost::asio::awaitable<std::vector<service::StoredEvent>> read(domain::EventId,
                                                                 std::size_t) override {
    co_return std::vector<service::StoredEvent>{};
  }
  [[nodiscard]] service::LogHealth health() const override { return state; }
};

}  // namespace relay::test
