#pragma once
// `sse-relay --demo`: a simulated fleet of lab workers so a fresh `make run` has something
// to show. It publishes through the process's own routes (POST /api/domain-events with
// CloudEvents bodies), so it exercises parsing, validation, idempotency, the log, the fold,
// broadcast and /metrics exactly as production traffic does. Time is the injected clock's.
//
// On a shared bus the demo runs on one replica and may restart while the fleet lives on in
// the others' read model: it starts only once the log is positioned, adopts the demo workers
// it finds there (ids worker-NNN, not terminated) and numbers new ones after them. A batch the
// relay refuses (503 while Redis is away, 429) is re-sent unchanged on the next tick, with the
// same CloudEvent ids, so the bus stores it once, and the simulation waits for it.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "infra/routes/api_routes.hpp"
#include "service/clock.hpp"
#include "service/hosted_service.hpp"
#include "service/telemetry/logger.hpp"

namespace relay::infra {

class DemoFleet final : public service::HostedService {
 public:
  DemoFleet(boost::asio::any_io_executor executor, const HttpConfig& config, ApiRoutes& routes,
            const service::Clock& clock, service::Logger& logger,
            std::chrono::milliseconds tick = std::chrono::milliseconds(1000), std::size_t size = 6);

  [[nodiscard]] std::string_view name() const override { return "demo-fleet"; }
  void start() override;
  boost::asio::awaitable<void> stop() override;

  /// One simulation step: the events it produced, posted as one batch.
  boost::asio::awaitable<void> step();

 private:
  struct SimWorker {
    std::string id;
    std::string status;  // pending, provisioning, running, stopping, stopped, terminated
    int ticks_in_status = 0;
    double cpu = 20;
    double memory = 40;
    int labs = 0;
  };

  boost::asio::awaitable<void> run();
  /// Takes over the demo workers of the read model; false while the log is not positioned.
  boost::asio::awaitable<bool> adopt();
  void create_worker(std::vector<std::string>& events, std::uint64_t now_ms);
  std::string cloudevent(std::string_view type, const std::string& data);
  /// Posts pending_ as one batch; it stays pending unless accepted.
  boost::asio::awaitable<void> post();

  boost::asio::any_io_executor executor_;
  const HttpConfig& config_;
  ApiRoutes& routes_;
  const service::Clock& clock_;
  service::Logger& logger_;
  std::chrono::milliseconds tick_;
  std::size_t size_;
  boost::asio::steady_timer timer_;
  std::mt19937 random_{std::random_device{}()};
  std::vector<SimWorker> fleet_;
  std::vector<std::string> pending_;  // the last step's events until the relay accepts them
  bool adopted_ = false;
  bool refusing_ = false;  // a refusal is logged once per spell, not at every retry
  std::uint64_t next_worker_ = 1;
  std::uint64_t next_event_ = 1;
  std::string source_;
  bool stopping_ = false;
};

}  // namespace relay::infra
