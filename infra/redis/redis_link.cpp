#include "infra/redis/redis_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace relay::infra {

namespace asio = boost::asio;

std::string address_of(const RedisBusConfig& config) {
  return config.host.find(':') != std::string::npos
             ? "[" + config.host + "]:" + std::to_string(config.port)
             : config.host + ":" + std::to_string(config.port);
}

RedisLink::RedisLink(asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
                     service::Logger& logger, std::shared_ptr<BusStats> stats)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      logger_(logger),
      stats_(std::move(stats)),
      machine_(LinkTimings{config_->ready_grace}, address_of(*config_)),
      commands_(std::make_shared<RedisConnection>(executor_)) {}

asio::awaitable<OpenedConnection> RedisLink::open() {
  auto connection = std::make_shared<RedisConnection>(executor_);
  connection->set_command_timeout(config_->command_timeout);
  if (auto ec = co_await connection->connect(config_->host, config_->port, config_->connect_timeout)) {
    co_return ec;
  }
  auto setup = [&](std::vector<std::string> args) -> asio::awaitable<bool> {
    auto result = co_await connection->command(std::move(args));
    const auto* value = std::get_if<RedisValue>(&result);
    if (value == nullptr || value->is_error()) {
      logger_.warn("redis connection setup refused",
                   {{"error", value ? value->text : std::string("connection lost")}});
      co_return false;
    }
    co_return true;
  };
  if (!config_->password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!config_->user.empty()) auth.push_back(config_->user);
    auth.push_back(config_->password);
    if (!co_await setup(std::move(auth))) co_return asio::error::access_denied;
  }
  if (config_->database != 0) {
    std::vector<std::string> select{"SELECT", std::to_string(config_->database)};
    if (!co_await setup(std::move(select))) co_return asio::error::invalid_argument;
  }
  // A frozen Redis still completes the TCP handshake (the kernel does it): only an answer
  // says it is there, or a reconnect would "succeed" every few milliseconds and /readyz
  // would never leave the balancer.
  std::vector<std::string> ping{"PING"};
  if (!co_await setup(std::move(ping))) co_return asio::error::timed_out;
  co_return connection;
}

asio::awaitable<boost::system::error_code> RedisLink::connect() {
  auto opened = co_await open();
  if (auto* ec = std::get_if<boost::system::error_code>(&opened)) co_return *ec;
  commands_ = std::move(std::get<std::shared_ptr<RedisConnection>>(opened));
  machine_.on_connected(std::chrono::steady_clock::now());
  stats_->reconnects = machine_.reconnects();
  stats_->connected = true;
  co_return boost::system::error_code{};
}

asio::awaitable<void> RedisLink::run() {
  const auto self = shared_from_this();
  asio::steady_timer wait(executor_);
  auto action = commands_->connected() ? machine_.on_connected(std::chrono::steady_clock::now())
                                       : machine_.start();
  for (;;) {
    switch (action.kind) {
      case LinkAction::Kind::stop:
        co_return;
      case LinkAction::Kind::watch: {
        const auto connection = commands_;
        co_await connection->until_failed();
        if (machine_.closed()) co_return;
        stats_->connected = false;
        logger_.warn("redis bus disconnected; reconnecting",
                     {{"address", address_of(*config_)}});
        action = machine_.on_lost(std::chrono::steady_clock::now());
        break;
      }
      case LinkAction::Kind::connect: {
        const auto failed_before = machine_.failures_in_spell();
        const auto ec = co_await connect();
        if (machine_.closed()) co_return;
        if (!ec) {
          logger_.info("redis bus connected", {{"address", address_of(*config_)},
                                               {"failed_attempts", failed_before}});
          action = {LinkAction::Kind::watch};  // connect() told the machine
        } else {
          action = machine_.on_connect_failed(static_cast<std::uint32_t>(random_()), ec.message());
          if (action.report) {
            // Once per spell: a Redis that is down for an hour is one line, not thousands.
            logger_.warn("redis bus unreachable; retrying with backoff",
                         {{"address", address_of(*config_)}, {"error", ec.message()}});
          }
        }
        break;
      }
      case LinkAction::Kind::wait: {
        wait.expires_after(action.delay);
        auto [ec] = co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || machine_.closed()) co_return;  // cancelled: the link is closing
        action = machine_.on_waited();
        break;
      }
    }
  }
}

void RedisLink::close() {
  machine_.close();
  commands_->close();
}

LinkReadiness RedisLink::readiness() const {
  return machine_.readiness(std::chrono::steady_clock::now());
}

}  // namespace relay::infra
