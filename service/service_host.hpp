#pragma once
// Runs hosted services: starts them in dependency order, waits for SIGINT/SIGTERM (or
// request_stop()), stops them in reverse order (STYLE 12).
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::service {

class ServiceHost {
 public:
  /// `services` in dependency order: each may use those before it.
  ServiceHost(boost::asio::io_context& io, Logger& logger, std::vector<HostedService*> services);

  /// Starts everything and runs the io_context until all services stopped.
  /// Returns 0 after a clean stop, 1 when a service failed to start (its reason is printed
  /// as one line on stderr and the services already started are stopped).
  int run();

  /// Begins the graceful stop as a signal would; safe from any thread.
  void request_stop();

  /// Called once every service has started (tests wait on it); runs on the io thread.
  void on_started(std::function<void()> callback) { on_started_ = std::move(callback); }

 private:
  boost::asio::awaitable<void> stop_services(std::size_t started);

  boost::asio::io_context& io_;
  Logger& logger_;
  std::vector<HostedService*> services_;
  boost::asio::signal_set signals_;
  std::function<void()> on_started_;
  bool stopping_ = false;
};

}  // namespace relay::service
