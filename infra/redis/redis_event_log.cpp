#include "infra/redis/redis_event_log.hpp"

#include "infra/redis/stream_entry.hpp"

namespace relay::infra {

namespace asio = boost::asio;

RedisEventLog::RedisEventLog(asio::any_io_executor executor, RedisBusConfig config,
                             service::Logger& logger)
    : config_(std::make_shared<const RedisBusConfig>(std::move(config))),
      stats_(std::make_shared<BusStats>()),
      loops_(executor, logger, "redis-bus"),
      // A few groups' worth: the tail is normally one XREAD behind the appends.
      carried_(std::make_shared<CarriedRecords>(executor, 16'384, std::size_t{32} << 20)),
      link_(std::make_shared<RedisLink>(executor, config_, logger, stats_)),
      appender_(executor, config_, link_, logger, stats_, carried_),
      tailer_(std::make_shared<RedisTailer>(executor, config_, link_, logger, stats_, loops_,
                                            encoder_.get_executor(), carried_)),
      monitor_(std::make_shared<RedisMonitor>(executor, config_, link_, tailer_, logger, stats_)) {}

RedisEventLog::~RedisEventLog() { close(); }

asio::awaitable<boost::system::error_code> RedisEventLog::connect() {
  co_return co_await link_->connect();
}

void RedisEventLog::keep_connected() {
  if (keeping_connected_) return;
  keeping_connected_ = true;
  loops_.spawn("link", link_->run());
  loops_.spawn("monitor", monitor_->run());
}

void RedisEventLog::close() {
  monitor_->close();
  tailer_->close();
  link_->close();
  loops_.cancel();
}

asio::awaitable<service::AppendResult> RedisEventLog::append(
    std::vector<service::LogRecord> records) {
  co_return co_await appender_.append(std::move(records));
}

asio::awaitable<service::LookupResult> RedisEventLog::lookup(const std::vector<std::string>& keys) {
  co_return co_await appender_.lookup(keys);
}

void RedisEventLog::tail(domain::EventId after, service::EventTailer& tailer) {
  loops_.spawn("tail", tailer_->run(after, tailer));
}

asio::awaitable<std::vector<service::StoredEvent>> RedisEventLog::read(domain::EventId after,
                                                                       std::size_t max) {
  std::vector<service::StoredEvent> events;
  std::vector<std::string> args{"XRANGE", config_->stream, "(" + after.to_string(), "+", "COUNT",
                                std::to_string(max)};
  const auto tailer = tailer_;  // decode() counts what cannot be read
  const auto connection = link_->commands();
  auto result = co_await connection->command(std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->kind != RedisValue::Kind::array) co_return events;
  for (const auto& entry : value->elements) {
    if (auto event = tailer->decode(entry)) events.push_back(std::move(*event));
  }
  co_return events;
}

asio::awaitable<std::optional<domain::EventId>> RedisEventLog::newest_stored() const {
  const auto connection = link_->commands();
  // Named, not braced in the co_await: g++ 12 miscompiles initializer lists in coroutines.
  std::vector<std::string> args{"XREVRANGE", config_->stream, "+", "-", "COUNT", "1"};
  auto result = co_await connection->command(std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->kind != RedisValue::Kind::array || value->elements.empty() ||
      value->elements.front().kind != RedisValue::Kind::array ||
      value->elements.front().elements.empty()) {
    co_return std::nullopt;
  }
  co_return id_in(value->elements.front().elements.front());
}

service::LogHealth RedisEventLog::health() const {
  const auto& tail = tailer_->state();
  service::LogHealth health;
  health.positioned = !tail.building;
  const auto link = link_->readiness();
  if (!link.ready) {
    health.ready = false;
    health.detail = link.detail;
  } else if (link_->up() && !tail.caught_up) {
    health.ready = false;
    health.detail = "catching up with the Redis stream";
  }
  return health;
}


}  // namespace relay::infra
