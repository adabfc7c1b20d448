#include "app/application.hpp"

#include <random>

#include "app/build_commit.hpp"
#include "infra/config/effective_modes.hpp"
#include "infra/os/fd_limit.hpp"

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

// Raises the descriptor limit and fits the subscriber limit under it, saying so when it had
// to be lowered: better 503s than a relay that cannot accept a connection.
AppConfig fitted_to_descriptors(AppConfig config, service::Logger& logger) {
  const auto fds = raise_fd_limit();
  const auto fit = clients_that_fit(config.relay.max_clients, fds.now);
  if (fit < config.relay.max_clients) {
    logger.warn("subscriber limit lowered to fit the descriptor limit",
                {{"max_clients", static_cast<std::uint64_t>(fit)},
                 {"configured", static_cast<std::uint64_t>(config.relay.max_clients)},
                 {"nofile", fds.now}});
    config.relay.max_clients = fit;
  }
  return config;
}

std::unique_ptr<service::EventLog> make_log(boost::asio::io_context& io, const AppConfig& config,
                                            const service::Clock& clock, service::Logger& logger) {
  if (!config.redis_bus) {
    // The idempotency window spans the retained history: a retry of anything a client can
    // still replay answers with its original id.
    return std::make_unique<MemoryEventLog>(clock, config.relay.history, config.relay.history,
                                            config.relay.history_bytes);
  }
  auto bus = config.redis;
  bus.max_entry_bytes = config.http.max_body_bytes + 16UL * 1024;
  return std::make_unique<RedisEventLog>(io.get_executor(), std::move(bus), logger);
}

}  // namespace

Application::Application(boost::asio::io_context& io, AppConfig config, const service::Clock& clock,
                         service::Logger& logger)
    : config_(fitted_to_descriptors(with_instance_id(std::move(config)), logger)),
      tracing_(io.get_executor(), config_.tracing, clock, logger, RELAY_VERSION,
               config_.relay.instance_id),
      relay_(io.get_executor(), config_.relay, clock, logger, tracing_.tracer()),
      log_(make_log(io, config_, clock, logger)),
      redis_(dynamic_cast<RedisEventLog*>(log_.get())),
      projection_(relay_.frame_log(), relay_.fanout(), relay_.stats(), tracing_.tracer(), logger,
                  clock, config_.read_model),
      ingest_(*log_, projection_, relay_.stopping()),
      routes_(config_.http, relay_, ingest_, projection_, *log_, tracing_.tracer(), logger,
              tracing_.processor(), BuildInfo{RELAY_VERSION, build_commit()},
              redis_ != nullptr ? &redis_->stats() : nullptr),
      http_(io.get_executor(), config_.http, relay_, routes_, logger,
            config_.relay.shutdown_grace) {
  if (config_.http.admin.own_listener()) {
    admin_.emplace(io.get_executor(), config_.http, relay_, routes_, logger,
                   config_.relay.shutdown_grace, Listener::admin);
  }
  log_->tail(domain::EventId{0, 0}, projection_);
  if (config_.demo) demo_.emplace(io.get_executor(), config_.http, routes_, clock, logger);
  if (config_.http.jwt.jwks) {
    jwks_.emplace(io.get_executor(), config_.http.jwt.jwks_file, config_.http.jwt.jwks, logger);
  }
}

std::vector<service::HostedService*> Application::services() {
  std::vector<service::HostedService*> services;
  if (auto* spans = tracing_.processor()) services.push_back(spans);
  if (jwks_) services.push_back(&*jwks_);
  if (redis_ != nullptr) services.push_back(redis_);
  services.push_back(&relay_);
  services.push_back(&http_);
  if (admin_) services.push_back(&*admin_);
  if (demo_) services.push_back(&*demo_);
  return services;
}

void Application::log_started(service::Logger& logger) const {
  const auto modes = effective_modes_json(config_);
  logger.info("relay started", {{"version", RELAY_VERSION},
                                {"commit", build_commit()},
                                {"instance_id", config_.relay.instance_id},
                                {"port", static_cast<unsigned>(http_.port())},
                                {"admin_port", admin_ ? static_cast<unsigned>(admin_->port()) : 0U},
                                {"modes", service::LogJson{modes}}});
  for (const auto& warning : configuration_warnings(config_)) logger.warn(warning);
}

}  // namespace relay::infra
