#include "infra/redis_event_log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "infra/stream_record.hpp"
#include "service/relay_error.hpp"

namespace relay::infra {

namespace asio = boost::asio;

namespace {

// KEYS[1] stream; ARGV: maxlen, dedupe ttl (s), dedupe key prefix, record count, then per
// record: dedupe key ('' = none), field count, field, value, ... Returns {stored, {ids}}.
// One script, so a batch is stored whole or not at all and a retry racing its original on
// another replica is stored once.
constexpr std::string_view append_script = R"lua(
local stream, maxlen, ttl, prefix = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
local n, at = tonumber(ARGV[4]), 5
local ids, in_batch, stored = {}, {}, 0
for r = 1, n do
  local key, count = ARGV[at], tonumber(ARGV[at + 1])
  at = at + 2
  local id = false
  if key ~= '' then id = in_batch[key] or redis.call('GET', prefix .. key) end
  if not id then
    local args = {stream, 'MAXLEN', '~', maxlen, '*'}
    for f = 0, count * 2 - 1 do args[#args + 1] = ARGV[at + f] end
    id = redis.call('XADD', unpack(args))
    stored = stored + 1
    if key ~= '' then
      redis.call('SET', prefix .. key, id, 'EX', ttl)
      in_batch[key] = id
    end
  end
  at = at + count * 2
  ids[r] = id
end
return {stored, ids}
)lua";

std::string dedupe_prefix(const RedisBusConfig& config) { return config.stream + ":dedupe:"; }

boost::system::error_code unavailable() { return make_error_code(error::bus_unavailable); }

}  // namespace

RedisEventLog::RedisEventLog(asio::any_io_executor executor, RedisBusConfig config,
                             service::Logger& logger)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      logger_(logger),
      commands_(std::make_shared<RedisConnection>(executor_)),
      tail_connection_(std::make_shared<RedisConnection>(executor_)) {}

RedisEventLog::~RedisEventLog() {
  close();
  *alive_ = false;
}

asio::awaitable<std::variant<std::shared_ptr<RedisConnection>, boost::system::error_code>>
RedisEventLog::open_connection() {
  auto connection = std::make_shared<RedisConnection>(executor_);
  if (auto ec = co_await connection->connect(config_.host, config_.port, config_.connect_timeout)) {
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
  if (!config_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!config_.user.empty()) auth.push_back(config_.user);
    auth.push_back(config_.password);
    if (!co_await setup(std::move(auth))) co_return asio::error::access_denied;
  }
  if (config_.database != 0) {
    std::vector<std::string> select{"SELECT", std::to_string(config_.database)};
    if (!co_await setup(std::move(select))) co_return asio::error::invalid_argument;
  }
  co_return connection;
}

asio::awaitable<boost::system::error_code> RedisEventLog::connect() {
  auto opened = co_await open_connection();
  if (auto* ec = std::get_if<boost::system::error_code>(&opened)) co_return *ec;
  commands_ = std::move(std::get<std::shared_ptr<RedisConnection>>(opened));
  ever_connected_ = true;
  co_return boost::system::error_code{};
}

void RedisEventLog::keep_connected() {
  if (keeping_connected_) return;
  keeping_connected_ = true;
  asio::co_spawn(executor_, reconnect_loop(), asio::detached);
}

asio::awaitable<void> RedisEventLog::reconnect_loop() {
  const auto alive = alive_;
  asio::steady_timer wait(executor_);
  std::minstd_rand random(std::random_device{}());
  std::chrono::milliseconds backoff{100};
  bool was_up = commands_->connected();
  while (*alive && !closed_) {
    if (commands_->connected()) {
      backoff = std::chrono::milliseconds(100);
      wait.expires_after(std::chrono::milliseconds(100));
      co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (was_up) {
      logger_.warn("redis bus disconnected; reconnecting");
      down_since_ = std::chrono::steady_clock::now();
      was_up = false;
    }
    const auto ec = co_await connect();
    if (!*alive || closed_) co_return;
    if (!ec) {
      logger_.info("redis bus connected", {{"host", config_.host},
                                           {"port", static_cast<unsigned>(config_.port)}});
      was_up = true;
      down_since_ = {};
      continue;
    }
    // Jittered, so replicas that lost Redis together do not come back in step.
    const auto jitter = std::chrono::milliseconds(random() % (backoff.count() + 1));
    wait.expires_after(backoff / 2 + jitter);
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void RedisEventLog::close() {
  closed_ = true;
  commands_->close();
  tail_connection_->close();
}

asio::awaitable<RedisResult> RedisEventLog::run_script(std::vector<std::string> args) {
  // Held for the whole exchange: a reconnect may replace commands_ meanwhile.
  const auto connection = commands_;
  if (!script_sha_.empty()) {
    std::vector<std::string> call{"EVALSHA", script_sha_};
    call.insert(call.end(), args.begin(), args.end());
    auto result = co_await connection->command(std::move(call));
    const auto* value = std::get_if<RedisValue>(&result);
    // NOSCRIPT: Redis restarted (or SCRIPT FLUSH): load it again below.
    if (value == nullptr || !value->is_error() || !value->text.starts_with("NOSCRIPT")) {
      co_return result;
    }
  }
  std::vector<std::string> load{"SCRIPT", "LOAD", std::string(append_script)};
  auto loaded = co_await connection->command(std::move(load));
  const auto* sha = std::get_if<RedisValue>(&loaded);
  if (sha == nullptr || sha->kind != RedisValue::Kind::string) co_return loaded;
  script_sha_ = sha->text;
  std::vector<std::string> call{"EVALSHA", script_sha_};
  call.insert(call.end(), args.begin(), args.end());
  co_return co_await connection->command(std::move(call));
}

asio::awaitable<service::AppendResult> RedisEventLog::append(
    std::vector<service::LogRecord> records) {
  service::AppendResult answer;
  if (!commands_->connected()) {
    answer.error = unavailable();  // nothing is acknowledged that is not stored
    co_return answer;
  }
  std::vector<std::string> args{"1", config_.stream, std::to_string(config_.max_length),
                                std::to_string(config_.dedupe_ttl_s), dedupe_prefix(config_),
                                std::to_string(records.size())};
  for (const auto& record : records) {
    const auto fields = encode_stream_record(record);
    args.push_back(record.dedupe_key);
    args.push_back(std::to_string(fields.size()));
    for (const auto& [name, value] : fields) {
      args.push_back(name);
      args.push_back(value);
    }
  }
  auto result = co_await run_script(std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->kind != RedisValue::Kind::array || value->elements.size() != 2 ||
      value->elements[1].elements.size() != records.size()) {
    logger_.warn("redis append failed",
                 {{"error", value == nullptr ? std::get<boost::system::error_code>(result).message()
                                             : value->text}});
    answer.error = unavailable();
    co_return answer;
  }
  answer.stored = static_cast<std::size_t>(value->elements[0].integer);
  for (const auto& id_text : value->elements[1].elements) {
    auto id = domain::EventId::parse(id_text.text);
    if (!id) {
      // Stored, but under an id we cannot read: say so rather than answer a wrong id.
      answer.error = unavailable();
      answer.ids.clear();
      co_return answer;
    }
    answer.ids.push_back(*id);
  }
  co_return answer;
}

asio::awaitable<service::LookupResult> RedisEventLog::lookup(const std::vector<std::string>& keys) {
  service::LookupResult found;
  found.ids.resize(keys.size());
  std::vector<std::string> args{"MGET"};
  std::size_t asked = 0;
  for (const auto& key : keys) {
    if (!key.empty()) ++asked;
    args.push_back(dedupe_prefix(config_) + key);
  }
  if (asked == 0) co_return found;
  if (!commands_->connected()) {
    found.error = unavailable();
    co_return found;
  }
  const auto connection = commands_;
  auto result = co_await connection->command(std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->elements.size() != keys.size()) {
    // Redis did not say: a retry cannot be told from a new event, so nothing may be refused
    // as a conflict on this basis (the caller answers bus-unavailable).
    found.error = unavailable();
    co_return found;
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!keys[i].empty() && value->elements[i].kind == RedisValue::Kind::string) {
      found.ids[i] = domain::EventId::parse(value->elements[i].text);
    }
  }
  co_return found;
}

std::optional<service::StoredEvent> RedisEventLog::decode_entry(const RedisValue& entry) {
  if (entry.elements.size() != 2) return std::nullopt;
  const auto id = domain::EventId::parse(entry.elements[0].text);
  StreamFields fields;
  const auto& flat = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    fields.emplace_back(flat[i].text, flat[i + 1].text);
  }
  auto record = decode_stream_record(fields);
  if (!id || std::holds_alternative<std::string>(record)) {
    ++undecodable_;
    logger_.error("stream entry not readable",
                  {{"id", entry.elements[0].text},
                   {"reason", id ? std::get<std::string>(record) : "bad id"}});
    return std::nullopt;
  }
  return service::StoredEvent{*id, std::move(std::get<service::LogRecord>(record))};
}

asio::awaitable<std::vector<service::StoredEvent>> RedisEventLog::read(domain::EventId after,
                                                                       std::size_t max) {
  std::vector<service::StoredEvent> events;
  std::vector<std::string> args{"XRANGE", config_.stream, "(" + after.to_string(), "+", "COUNT",
                                std::to_string(max)};
  const auto connection = commands_;
  auto result = co_await connection->command(std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->kind != RedisValue::Kind::array) co_return events;
  for (const auto& entry : value->elements) {
    if (auto event = decode_entry(entry)) events.push_back(std::move(*event));
  }
  co_return events;
}

void RedisEventLog::tail(domain::EventId after, service::EventTailer& tailer) {
  asio::co_spawn(executor_, tail_loop(after, tailer), asio::detached);
}

asio::awaitable<void> RedisEventLog::tail_loop(domain::EventId after,
                                               service::EventTailer& tailer) {
  const auto alive = alive_;
  auto last = after;
  asio::steady_timer backoff(executor_);
  auto pause = [&]() -> asio::awaitable<void> {
    backoff.expires_after(std::chrono::milliseconds(200));
    co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
  };
  while (*alive && !closed_) {
    if (!tail_connection_->connected()) {
      caught_up_ = false;
      auto opened = co_await open_connection();
      if (!*alive || closed_) co_return;
      if (std::holds_alternative<boost::system::error_code>(opened)) {
        co_await pause();
        continue;
      }
      tail_connection_ = std::move(std::get<std::shared_ptr<RedisConnection>>(opened));
    }
    // Until caught up, reads do not block: an empty or short answer means everything the
    // stream held is folded, and /readyz can turn 200 at once rather than after BLOCK.
    std::vector<std::string> args{"XREAD", "COUNT", std::to_string(config_.tail_batch)};
    if (caught_up_) {
      args.push_back("BLOCK");
      args.push_back(std::to_string(config_.block.count()));
    }
    args.push_back("STREAMS");
    args.push_back(config_.stream);
    args.push_back(last.to_string());
    auto connection = tail_connection_;
    auto result = co_await connection->command(std::move(args));
    if (!*alive || closed_) co_return;
    const auto* value = std::get_if<RedisValue>(&result);
    if (value == nullptr) continue;  // connection lost: reconnect, resume after `last`
    if (value->is_nil()) {  // nothing new within BLOCK: everything there was is folded
      caught_up_ = true;
      continue;
    }
    // [[stream, [[id, [f, v, ...]], ...]]]
    if (value->is_error() || value->elements.empty() || value->elements[0].elements.size() != 2) {
      logger_.warn("redis tail read failed", {{"error", value->text}});
      co_await pause();
      continue;
    }
    const auto& entries = value->elements[0].elements[1].elements;
    if (entries.size() < config_.tail_batch) caught_up_ = true;
    for (const auto& entry : entries) {
      if (auto event = decode_entry(entry)) {
        last = event->id;
        tailer.on_event(*event);
      } else if (auto id = domain::EventId::parse(entry.elements[0].text)) {
        last = *id;  // logged and counted by decode_entry
      }
    }
  }
}

service::LogHealth RedisEventLog::health() const {
  if (!commands_->connected()) {
    if (!ever_connected_) return {false, "the Redis bus is not connected yet"};
    // The reconnect loop notes a loss within 100 ms (down_since_ is reset on reconnecting).
    const bool lost_long = down_since_ != std::chrono::steady_clock::time_point{} &&
                           std::chrono::steady_clock::now() - down_since_ >= config_.ready_grace;
    if (lost_long) return {false, "the Redis bus is unreachable"};
    return {};
  }
  if (!caught_up_) return {false, "catching up with the Redis stream"};
  return {};
}

}  // namespace relay::infra
