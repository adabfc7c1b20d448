// Composition root: the only file that sees both service and infra (DESIGN 2). The wiring
// itself is infra::Application, which the in-process tests build too.
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "app/application.hpp"
#include "infra/config/config_loader.hpp"
#include "infra/os/system_clock.hpp"
#include "service/service_host.hpp"

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
  infra::Application app(io, config, clock, logger);
  service::ServiceHost host(io, logger, app.services());
  // After every service started (the listeners bound): never "started" before a bind error.
  host.on_started([&app, &logger] { app.log_started(logger); });
  return host.run();
}
