#include "infra/application.hpp"

#include <random>

#include <fmt/format.h>

namespace relay::infra {

namespace {

AppConfig with_instance_id(AppConfig config) {
  if (config.relay.instance_id.empty()) {
    std::random_device random;
    config.relay.instance_id = fmt::format("{:08x}{:04x}", random(), random() & 0xffffU);
  }
  return config;
}

}  // namespace

Application::Application(boost::asio::io_context& io, AppConfig config, const service::Clock& clock,
                         service::Logger& logger)
    : config_(with_instance_id(std::move(config))),
      tracing_(io.get_executor(), config_.tracing, clock, logger, RELAY_VERSION,
               config_.relay.instance_id),
      relay_(io.get_executor(), config_.relay, clock, logger, tracing_.tracer()),
      // The idempotency window spans the retained history: a retry of anything a client
      // can still replay answers with its original id.
      log_(clock, config_.relay.history, config_.relay.history, config_.relay.history_bytes),
      projection_(relay_.frame_log(), relay_.fanout(), relay_.stats(), tracing_.tracer(), logger),
      ingest_(log_, projection_, relay_.stopping()),
      routes_(config_.http, relay_, ingest_, projection_, log_, tracing_.tracer(), logger,
              tracing_.processor(), RELAY_VERSION),
      http_(io.get_executor(), config_.http, relay_, routes_, logger) {
  log_.tail(domain::EventId{0, 0}, projection_);
  if (config_.demo) demo_.emplace(io.get_executor(), config_.http, routes_, clock, logger);
}

std::vector<service::HostedService*> Application::services() {
  std::vector<service::HostedService*> services;
  if (auto* spans = tracing_.processor()) services.push_back(spans);
  services.push_back(&relay_);
  services.push_back(&http_);
  if (demo_) services.push_back(&*demo_);
  return services;
}

}  // namespace relay::infra
