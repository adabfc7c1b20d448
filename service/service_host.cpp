#include "service/service_host.hpp"

#include <csignal>
#include <cstdio>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::service {

namespace asio = boost::asio;

namespace {
// A stop path that throws is a bug: let it surface from io_context::run().
void rethrow_failure(const std::exception_ptr& e) {
  if (e) std::rethrow_exception(e);
}
}  // namespace

ServiceHost::ServiceHost(asio::io_context& io, Logger& logger, std::vector<HostedService*> services)
    : io_(io), logger_(logger), services_(std::move(services)), signals_(io, SIGINT, SIGTERM) {}

int ServiceHost::run() {
  std::size_t started = 0;
  int exit_code = 0;
  for (auto* service : services_) {
    try {
      service->start();
      ++started;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sse-relay: %s\n", e.what());
      logger_.error("service failed to start", {{"service", service->name()}, {"error", e.what()}});
      exit_code = 1;
      break;
    }
  }
  if (exit_code != 0) {
    stopping_ = true;
    signals_.cancel();
    asio::co_spawn(io_, stop_services(started), rethrow_failure);
  } else {
    signals_.async_wait([this, started](boost::system::error_code ec, int signal) {
      if (ec || stopping_) return;
      stopping_ = true;
      logger_.info("stop requested", {{"signal", signal}});
      asio::co_spawn(io_, stop_services(started), rethrow_failure);
    });
    if (on_started_) asio::post(io_, on_started_);
  }
  io_.run();
  return exit_code;
}

void ServiceHost::request_stop() {
  asio::post(io_, [this] {
    if (stopping_) return;
    stopping_ = true;
    signals_.cancel();
    asio::co_spawn(io_, stop_services(services_.size()), rethrow_failure);
  });
}

asio::awaitable<void> ServiceHost::stop_services(std::size_t started) {
  signals_.cancel();
  for (std::size_t i = started; i-- > 0;) {
    logger_.debug("stopping service", {{"service", services_[i]->name()}});
    co_await services_[i]->stop();
  }
  logger_.info("stopped");
}

}  // namespace relay::service
