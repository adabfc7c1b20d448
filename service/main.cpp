// Composition root: the only file that sees both service and infra (DESIGN 2).
#include <cstdio>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "infra/config_loader.hpp"
#include "infra/demo_fleet.hpp"
#include "infra/http_server.hpp"
#include "infra/system_clock.hpp"
#include "infra/tracing_pipeline.hpp"
#include "service/service_host.hpp"
#include "service/sse_event_relay.hpp"
#include "service/worker_ingest.hpp"

int main(int argc, char** argv) {
  using namespace relay;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto loaded = infra::load_config(args, infra::process_environment(), RELAY_VERSION);
  if (auto* exit = std::get_if<infra::ConfigExit>(&loaded)) {
    std::fputs(exit->exit_code == 0 ? exit->message.c_str()
                                    : ("sse-relay: " + exit->message + "\n").c_str(),
               exit->exit_code == 0 ? stdout : stderr);
    return exit->exit_code;
  }
  const auto& config = std::get<infra::AppConfig>(loaded);

  // One thread owns the hub: no locks, no strands (STYLE 6).
  boost::asio::io_context io{1};
  service::Logger logger(stdout, config.log_level);
  infra::SystemClock clock;
  infra::TracingPipeline tracing(io.get_executor(), config.tracing, clock, logger, RELAY_VERSION,
                                 config.relay.instance_id);
  service::SseEventRelay relay(io.get_executor(), config.relay, clock, logger, tracing.tracer());
  service::WorkerIngest ingest(relay, config.relay.history);
  infra::HttpServer http(io.get_executor(), config.http, relay, ingest, logger,
                         tracing.processor());
  // Started in this order, stopped in reverse: the span processor outlives the relay's stop
  // and flushes its sse.shutdown span.
  std::vector<service::HostedService*> services;
  if (auto* spans = tracing.processor()) services.push_back(spans);
  services.push_back(&relay);
  services.push_back(&http);
  std::optional<infra::DemoFleet> demo;
  if (config.demo)
    services.push_back(&demo.emplace(io.get_executor(), config.http, relay, ingest, logger));
  return service::ServiceHost(io, logger, std::move(services)).run();
}
