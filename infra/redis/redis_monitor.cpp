#include "infra/redis/redis_monitor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/redis/redis_scripts.hpp"
#include "infra/redis/stream_entry.hpp"

namespace relay::infra {

namespace asio = boost::asio;

asio::awaitable<std::optional<BusProbe>> probe_bus(RedisConnection& connection, const BusKeys& keys,
                                                   service::Logger& logger) {
  std::vector<std::string> args{"EVAL", std::string(scripts::probe), "3", keys.stream, keys.epoch,
                                keys.counter};
  auto result = co_await connection.command(std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->kind != RedisValue::Kind::array || value->elements.size() != 3) {
    if (value != nullptr) logger.warn("redis bus probe failed", {{"error", value->text}});
    co_return std::nullopt;
  }
  const auto& e = value->elements;
  co_return BusProbe{e[0].text, id_in(e[1]), static_cast<std::uint64_t>(e[2].integer)};
}

RedisMonitor::RedisMonitor(asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
                           std::shared_ptr<const RedisLink> link, std::shared_ptr<RedisTailer> tail, service::Logger& logger,
                           std::shared_ptr<BusStats> stats)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      keys_(*config_),
      link_(std::move(link)),
      tail_(std::move(tail)),
      logger_(logger),
      stats_(std::move(stats)) {}

asio::awaitable<void> RedisMonitor::run() {
  const auto self = shared_from_this();
  asio::steady_timer wait(executor_);
  while (!closed_) {
    wait.expires_after(config_->probe_interval);
    auto [ec] = co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || closed_) co_return;
    const auto& tail = tail_->state();
    if (!tail.started || !link_->up() || !tail_->connected()) continue;
    const auto position = tail.last;
    const auto generation = tail.rebuilds;
    const auto connection = link_->commands();
    auto reading = co_await probe_bus(*connection, keys_, logger_);
    if (closed_) co_return;
    if (!reading || generation != tail.rebuilds) continue;
    const auto folded = tail.ordinal.value_or(reading->appended);
    stats_->lag_entries = reading->appended > folded ? reading->appended - folded : 0;
    stats_->lag_ms = lag_ms(position, reading->newest);
    // A replica (re)building is behind by design, and says so on /readyz; the warning is
    // for one that fell behind while serving.
    if (stats_->lag_ms >= 5000 && !lag_reported_ && !tail.building) {
      lag_reported_ = true;
      logger_.warn("folding lags behind the Redis stream",
                   {{"entries", stats_->lag_entries}, {"ms", stats_->lag_ms}});
    } else if (stats_->lag_ms < 1000 && lag_reported_) {
      lag_reported_ = false;
      logger_.info("caught up with the Redis stream again");
    }
    const auto epoch = tail.epoch.empty() && position == tail.last ? reading->epoch : tail.epoch;
    if (judge_bus(*reading, {epoch, position}) != BusLoss::none) tail_->resettle();
  }
}

}  // namespace relay::infra
