#pragma once
// Runs the real relay on a loopback port in a background thread: the Application that
// service/main.cpp runs, under a ServiceHost.
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "infra/config/app_config.hpp"
#include "app/application.hpp"
#include "infra/os/system_clock.hpp"
#include "service/service_host.hpp"

namespace relay::test {

class TestServer {
 public:
  /// `clock`: the clock the application reads (the system's when null).
  explicit TestServer(infra::AppConfig config = default_config(),
                      const service::Clock* clock = nullptr)
      : config_(std::move(config)) {
    config_.http.host = "127.0.0.1";
    sink_ = std::fopen("/dev/null", "w");
    logger_ = std::make_unique<service::Logger>(sink_, service::LogLevel::error);
    app_ = std::make_unique<infra::Application>(io_, config_, clock ? *clock : clock_, *logger_);
    host_ = std::make_unique<service::ServiceHost>(io_, *logger_, app_->services());
    std::promise<void> started;
    auto ready = started.get_future();
    host_->on_started([&started] { started.set_value(); });
    thread_ = std::thread([this] { exit_code_ = host_->run(); });
    if (ready.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      throw std::runtime_error("test server did not start");
    }
  }

  ~TestServer() {
    stop();
    std::fclose(sink_);
  }

  static infra::AppConfig default_config() {
    infra::AppConfig c;
    c.http.port = 0;
    c.relay.shutdown_grace = std::chrono::milliseconds(2000);
    c.relay.reconnect_jitter = std::chrono::milliseconds(500);
    return c;
  }

  /// Graceful stop, as SIGTERM; returns the host's exit code.
  int stop() {
    if (thread_.joinable()) {
      host_->request_stop();
      thread_.join();
    }
    return exit_code_;
  }

  [[nodiscard]] std::uint16_t port() const { return app_->http().port(); }

 private:
  infra::AppConfig config_;
  boost::asio::io_context io_{1};
  infra::SystemClock clock_;
  std::FILE* sink_ = nullptr;
  std::unique_ptr<service::Logger> logger_;
  std::unique_ptr<infra::Application> app_;
  std::unique_ptr<service::ServiceHost> host_;
  std::thread thread_;
  int exit_code_ = -1;
};

}  // namespace relay::test
