#pragma once
// A long-running part of the process with an explicit lifecycle (STYLE 12).
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace relay::service {

class HostedService {
 public:
  virtual ~HostedService() = default;
  /// Name used in logs and start-up errors.
  [[nodiscard]] virtual std::string_view name() const = 0;
  /// Acquires resources and starts work; throws std::exception with a one-line reason.
  virtual void start() = 0;
  /// Stops gracefully; completes when the service holds no pending work on the executor.
  virtual boost::asio::awaitable<void> stop() = 0;
};

}  // namespace relay::service
