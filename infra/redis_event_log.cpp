#include "infra/redis_event_log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "infra/config_values.hpp"
#include "infra/stream_record.hpp"
#include "service/relay_error.hpp"

namespace relay::infra {

namespace asio = boost::asio;

namespace {

// KEYS[1] stream, KEYS[2] epoch, KEYS[3] entry counter; ARGV: maxlen, dedupe ttl (s), dedupe
// key prefix, a new epoch should there be none, record count, then per record: dedupe key
// ('' = none), field count, field, value, ... Returns {stored, {ids}}. One script, so a batch
// is stored whole or not at all, a retry racing its original on another replica is stored
// once, no entry exists without an epoch, and each entry's ordinal `n` is its place.
constexpr std::string_view append_script = R"lua(
local stream, maxlen, ttl, prefix = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
redis.call('SET', KEYS[2], ARGV[4], 'NX')
local n, at = tonumber(ARGV[5]), 6
-- Where each record's fields start, and its dedupe keys looked up in one MGET.
local starts, counts, keys, lookups = {}, {}, {}, {}
for r = 1, n do
  local key, count = ARGV[at], tonumber(ARGV[at + 1])
  starts[r], counts[r], keys[r] = at + 2, count, key
  if key ~= '' then lookups[#lookups + 1] = prefix .. key end
  at = at + 2 + count * 2
end
local found = {}
if #lookups > 0 then
  local values = redis.call('MGET', unpack(lookups))
  for i = 1, #lookups do found[lookups[i]] = values[i] end
end
-- Which records are new (not stored before, not a repeat within the batch).
local ids, fresh, seen = {}, {}, {}
for r = 1, n do
  local key = keys[r]
  if key ~= '' and found[prefix .. key] then
    ids[r] = found[prefix .. key]
  elseif key ~= '' and seen[key] then
    ids[r] = seen[key]  -- resolved to the first one's id below
  else
    fresh[#fresh + 1] = r
    if key ~= '' then seen[key] = r end
  end
end
local ordinal = 0
if #fresh > 0 then ordinal = redis.call('INCRBY', KEYS[3], #fresh) - #fresh end
for _, r in ipairs(fresh) do
  ordinal = ordinal + 1
  local args = {stream, 'MAXLEN', '~', maxlen, '*'}
  for f = 0, counts[r] * 2 - 1 do args[#args + 1] = ARGV[starts[r] + f] end
  args[#args + 1] = 'n'
  args[#args + 1] = ordinal
  local id = redis.call('XADD', unpack(args))
  ids[r] = id
  if keys[r] ~= '' then
    redis.call('SET', prefix .. keys[r], id, 'EX', ttl)
    seen[keys[r]] = id
  end
end
for r = 1, n do
  if type(ids[r]) == 'number' then ids[r] = seen[keys[r]] end
end
return {#fresh, ids}
)lua";

// KEYS[1] stream, KEYS[2] epoch, KEYS[3] entry counter. Returns {epoch or '', newest id or
// '', entries appended in this epoch}.
constexpr std::string_view probe_script = R"lua(
local epoch = redis.call('GET', KEYS[2]) or ''
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local newest_id = ''
if newest[1] then newest_id = newest[1][1] end
return {epoch, newest_id, tonumber(redis.call('GET', KEYS[3]) or '0')}
)lua";

// KEYS[1] snapshot hash, KEYS[2] epoch; ARGV: id, epoch, ordinal, data. Stores the snapshot only if it
// is of the current epoch and newer than the one stored: 1 written, 0 not newer, -1 the
// epoch changed (the writer's state is of a stream that is gone).
constexpr std::string_view snapshot_script = R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
local stored = redis.call('HMGET', KEYS[1], 'id', 'epoch')
if stored[1] and stored[2] == ARGV[2] then
  local sm, ss = string.match(stored[1], '^(%d+)-(%d+)$')
  local nm, ns = string.match(ARGV[1], '^(%d+)-(%d+)$')
  sm, ss, nm, ns = tonumber(sm), tonumber(ss), tonumber(nm), tonumber(ns)
  if sm and (nm < sm or (nm == sm and ns <= ss)) then return 0 end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'epoch', ARGV[2], 'n', ARGV[3], 'data', ARGV[4])
return 1
)lua";

// KEYS[1] epoch; ARGV[1] a new epoch should there be none. Returns the epoch.
constexpr std::string_view ensure_epoch_script = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
)lua";


std::string dedupe_prefix(const RedisBusConfig& config) { return config.stream + ":dedupe:"; }
std::string epoch_key(const RedisBusConfig& config) { return config.stream + ":epoch"; }
std::string snapshot_key(const RedisBusConfig& config) { return config.stream + ":snapshot"; }
std::string counter_key(const RedisBusConfig& config) { return config.stream + ":count"; }

/// An entry's ordinal (its `n` field); nullopt for entries written without one.
std::optional<std::uint64_t> ordinal_of(const RedisValue& entry) {
  if (entry.elements.size() != 2) return std::nullopt;
  const auto& flat = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    if (flat[i].text == "n") return parse_uint(flat[i + 1].text);
  }
  return std::nullopt;
}

std::string new_epoch() {
  std::random_device random;
  return fmt::format("{:08x}{:08x}", random(), random());
}

/// The id in a reply element, if it is one ("" and "0-0" are none).
std::optional<domain::EventId> id_in(const RedisValue& value) {
  auto id = domain::EventId::parse(value.text);
  if (!id || *id == domain::EventId{0, 0}) return std::nullopt;
  return id;
}

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
  connection->set_command_timeout(config_.command_timeout);
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
  // A frozen Redis still completes the TCP handshake (the kernel does it): only an answer
  // says it is there, or a reconnect would "succeed" every few milliseconds and /readyz
  // would never leave the balancer.
  std::vector<std::string> ping{"PING"};
  if (!co_await setup(std::move(ping))) co_return asio::error::timed_out;
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
  asio::co_spawn(executor_, probe_loop(), asio::detached);
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
      if (down_since_ != std::chrono::steady_clock::time_point{}) ++stats_.reconnects;
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

asio::awaitable<RedisResult> RedisEventLog::run_script(std::shared_ptr<RedisConnection> connection,
                                                      std::vector<std::string> args) {
  auto evalsha = [&] {
    std::vector<std::string> call{"EVALSHA", script_sha_};
    call.insert(call.end(), args.begin(), args.end());
    return call;
  };
  if (!script_sha_.empty()) {
    auto result = co_await connection->command(evalsha());
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
  co_return co_await connection->command(evalsha());
}

asio::awaitable<service::AppendResult> RedisEventLog::append(
    std::vector<service::LogRecord> records) {
  service::AppendResult answer;
  if (!commands_->connected()) {
    answer.error = unavailable();  // nothing is acknowledged that is not stored
    co_return answer;
  }
  std::vector<std::string> args{"3",
                                config_.stream,
                                epoch_key(config_),
                                counter_key(config_),
                                std::to_string(config_.max_length),
                                std::to_string(config_.dedupe_ttl_s),
                                dedupe_prefix(config_),
                                new_epoch(),
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
  // Held for the whole exchange: WAIT must follow the write on the same connection.
  const auto connection = commands_;
  auto result = co_await run_script(connection, std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->kind != RedisValue::Kind::array || value->elements.size() != 2 ||
      value->elements[1].elements.size() != records.size()) {
    logger_.warn("redis append failed",
                 {{"error", value == nullptr ? std::get<boost::system::error_code>(result).message()
                                             : value->text}});
    ++stats_.append_failures;
    answer.error = unavailable();
    co_return answer;
  }
  if (config_.wait_replicas > 0) {
    // Acknowledged only once the Redis replicas have it too, so a failover keeps it. When they
    // do not confirm in time the producer hears 503 and retries; the retry finds the
    // dedupe key and gets the original id.
    std::vector<std::string> wait{"WAIT", std::to_string(config_.wait_replicas),
                                  std::to_string(config_.wait_timeout.count())};
    // WAIT itself blocks up to its timeout on the Redis side.
    auto waited =
        co_await connection->command(std::move(wait), config_.wait_timeout + config_.command_timeout);
    const auto* copies = std::get_if<RedisValue>(&waited);
    if (copies == nullptr || copies->kind != RedisValue::Kind::integer ||
        copies->integer < static_cast<long long>(config_.wait_replicas)) {
      logger_.warn("append not confirmed by the Redis replicas",
                   {{"wanted", static_cast<std::uint64_t>(config_.wait_replicas)},
                    {"confirmed", copies != nullptr ? static_cast<std::int64_t>(copies->integer)
                                                    : std::int64_t{-1}}});
      ++stats_.append_failures;
      answer.error = make_error_code(error::not_replicated);
      co_return answer;
    }
  }
  ++stats_.appends;
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
  const auto& flat = entry.elements[1].elements;
  std::size_t bytes = 0;
  for (const auto& field : flat) bytes += field.text.size();
  if (bytes > config_.max_entry_bytes) {
    // Not a relay's entry: nothing of it is copied or parsed.
    ++stats_.undecodable;
    logger_.error("stream entry not readable",
                  {{"id", entry.elements[0].text},
                   {"reason", fmt::format("the entry holds {} bytes, more than an ingest accepts "
                                          "({}, from RELAY_MAX_BODY_BYTES)",
                                          bytes, config_.max_entry_bytes)}});
    return std::nullopt;
  }
  StreamFields fields;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    fields.emplace_back(flat[i].text, flat[i + 1].text);
  }
  auto record = decode_stream_record(fields);
  if (!id || std::holds_alternative<std::string>(record)) {
    ++stats_.undecodable;
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
  last_ = after;
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
      const auto connection = tail_connection_;
      const bool settled = co_await settle(connection, tailer);
      if (!*alive || closed_) co_return;
      if (!settled) {
        connection->close();
        co_await pause();
        continue;
      }
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
    args.push_back(last_.to_string());
    auto connection = tail_connection_;
    const auto generation = rebuilds_;
    // A blocking read may be silent for its BLOCK; past that plus the command deadline,
    // Redis is not answering.
    auto result = co_await connection->command(
        std::move(args), caught_up_ ? config_.block + config_.command_timeout : config_.command_timeout);
    if (!*alive || closed_) co_return;
    const auto* value = std::get_if<RedisValue>(&result);
    if (value == nullptr) continue;  // connection lost: settle again, resume after last_
    if (generation != rebuilds_) continue;  // read from before a rebuild: read again
    if (value->is_nil()) {  // nothing new within BLOCK: everything there was is folded
      caught_up_ = true;
      building_ = false;
      maybe_snapshot(tailer);
      continue;
    }
    // [[stream, [[id, [f, v, ...]], ...]]]
    if (value->is_error() || value->elements.empty() || value->elements[0].elements.size() != 2) {
      logger_.warn("redis tail read failed", {{"error", value->text}});
      co_await pause();
      continue;
    }
    const auto& entries = value->elements[0].elements[1].elements;
    const bool last_batch = entries.size() < config_.tail_batch;
    bool gap = false;
    bool went_back = false;
    for (const auto& entry : entries) {
      const auto ordinal = ordinal_of(entry);
      if (ordinal && ordinal_ && *ordinal <= *ordinal_) {
        // Ordinals only grow within a stream (the append script counts them with the XADD).
        // One that does not is a stream wiped (FLUSHALL) or rewound (an older RDB) while
        // producers kept posting: seen here, in order, before any of it is folded, so
        // nothing is broadcast and then broadcast again after the rebuild.
        ++stats_.epoch_changes;
        logger_.error("the Redis stream went back (an entry's ordinal did not grow): wiped or "
                      "rewound; rebuilding, streams resync",
                      {{"last_id", last_.to_string()},
                       {"ordinal", *ordinal},
                       {"folded_ordinal", *ordinal_}});
        if (!co_await restart(connection, tailer, "bus_data_lost")) connection->close();
        if (!*alive || closed_) co_return;
        went_back = true;
        break;
      }
      if (ordinal && ordinal_ && *ordinal > *ordinal_ + 1) {
        co_await recover_gap(connection, tailer, *ordinal);
        if (!*alive || closed_) co_return;
        gap = true;
        break;  // read again from where the recovery left last_
      }
      if (ordinal) ordinal_ = ordinal;
      if (auto event = decode_entry(entry)) {
        last_ = event->id;
        tailer.on_event(*event);
      } else if (auto id = domain::EventId::parse(entry.elements[0].text)) {
        last_ = *id;  // logged and counted by decode_entry
      }
      ++folded_since_snapshot_;
    }
    if (gap || went_back) {
      caught_up_ = false;
      continue;
    }
    if (last_batch) {  // after folding it: only then is the frame log the stream's
      caught_up_ = true;
      building_ = false;
    }
    maybe_snapshot(tailer);
  }
}

asio::awaitable<void> RedisEventLog::recover_gap(const std::shared_ptr<RedisConnection>& connection,
                                                 service::EventTailer& tailer,
                                                 std::uint64_t ordinal) {
  std::vector<std::string> get{"HMGET", snapshot_key(config_), "id", "epoch", "n", "data"};
  auto reply = co_await connection->command(std::move(get));
  const auto* fields = std::get_if<RedisValue>(&reply);
  if (fields != nullptr && fields->elements.size() == 4) {
    const auto& f = fields->elements;
    const auto id = id_in(f[0]);
    const auto n = parse_uint(f[2].text);
    // The snapshot covers the gap when it includes every entry before `ordinal`.
    if (id && f[1].text == epoch_ && n && *n + 1 >= ordinal && last_ < *id &&
        tailer.rebuild(f[3].text, "bus_gap")) {
      ++rebuilds_;
      last_ = *id;
      ordinal_ = n;
      folded_since_snapshot_ = 0;
      logger_.warn("entries were trimmed before this replica read them; caught up from the "
                   "snapshot, streams resync",
                   {{"snapshot_id", last_.to_string()}});
      co_return;
    }
  }
  ++stats_.gaps;
  logger_.error("entries were trimmed before this replica read them and no snapshot covers "
                "them; the read model misses them, streams resync",
                {{"after", last_.to_string()},
                 {"missing", ordinal - 1 - ordinal_.value_or(0)}});
  tailer.gap("bus_gap");
  ordinal_ = ordinal - 1;
}

asio::awaitable<bool> RedisEventLog::settle(const std::shared_ptr<RedisConnection>& connection,
                                            service::EventTailer& tailer) {
  if (!started_) {
    if (!co_await restart(connection, tailer, "")) co_return false;
    started_ = true;
  }
  auto reading = co_await probe(connection);
  if (!reading) co_return false;
  const auto loss = judge_bus(*reading, {epoch_, last_});
  if (loss != BusLoss::none) {
    ++stats_.epoch_changes;
    logger_.error("the Redis stream lost events this replica folded; rebuilding, streams resync",
                  {{"loss", to_string(loss)}, {"last_id", last_.to_string()},
                   {"epoch", epoch_}, {"stream_epoch", reading->epoch}});
    if (!co_await restart(connection, tailer, "bus_data_lost")) co_return false;
    reading = co_await probe(connection);
    if (!reading) co_return false;
  }
  if (epoch_.empty()) epoch_ = reading->epoch;
  co_return true;
}

asio::awaitable<bool> RedisEventLog::restart(const std::shared_ptr<RedisConnection>& connection,
                                             service::EventTailer& tailer,
                                             const std::string& reason) {
  // The epoch is created here if the stream has none yet, so a replica always knows the one
  // it folds under (a wipe before its first probe cannot pass unseen).
  std::vector<std::string> get_epoch{"EVAL", std::string(ensure_epoch_script), "1",
                                     epoch_key(config_), new_epoch()};
  std::vector<std::string> get_snapshot{"HMGET", snapshot_key(config_), "id", "epoch", "n",
                                        "data"};
  auto epoch_reply = co_await connection->command(std::move(get_epoch));
  auto snapshot_reply = co_await connection->command(std::move(get_snapshot));
  const auto* epoch = std::get_if<RedisValue>(&epoch_reply);
  const auto* snapshot = std::get_if<RedisValue>(&snapshot_reply);
  if (epoch == nullptr || snapshot == nullptr || epoch->kind != RedisValue::Kind::string ||
      snapshot->is_error() || snapshot->elements.size() != 4) {
    co_return false;
  }
  const std::string current = epoch->text;
  ++rebuilds_;
  caught_up_ = false;
  building_ = true;
  folded_since_snapshot_ = 0;
  const auto& fields = snapshot->elements;
  const auto snapshot_id = id_in(fields[0]);
  // Only a snapshot of the stream as it is now: one of a wiped epoch describes lost events.
  const bool usable = snapshot_id && fields[1].text == current;
  if (!started_ && (!usable || !(last_ < *snapshot_id))) {
    // The start, and the tailer already holds as much as the snapshot (tail(after)).
    epoch_ = current;
    ordinal_ = last_ == domain::EventId{0, 0} ? std::optional<std::uint64_t>(0) : std::nullopt;
    co_return true;
  }
  // After a loss, entries the ordinals say are missing are that loss, already told to every
  // stream: the first entry read sets the ordinal again instead of being judged a gap (a DEL
  // keeps the counter, so the next entry's ordinal would skip every deleted one).
  const bool after_loss = !reason.empty();
  if (after_loss) {
    // What the stream still holds up to where this replica had folded (a rewind keeps a
    // prefix of it) was sent to every stream before the loss: it is folded back in silently,
    // in the same turn as the rebuild and the resync, so no sweep can send it again as news.
    const auto folded_before = last_;
    const auto from = usable ? *snapshot_id : domain::EventId{0, 0};
    auto known = co_await read_range(connection, from, folded_before);
    if (known && (!usable || tailer.rebuild(fields[3].text, ""))) {
      if (!usable) tailer.rebuild("", "");
      last_ = from;
      for (const auto& event : *known) {
        tailer.on_event(event);
        last_ = event.id;
      }
      tailer.resync(reason);
      ordinal_ = std::nullopt;
      epoch_ = current;
      logger_.info("rebuilt after the loss", {{"from", from.to_string()},
                                              {"refolded", static_cast<std::uint64_t>(known->size())},
                                              {"last_id", last_.to_string()}});
      co_return true;
    }
  }
  if (usable && tailer.rebuild(fields[3].text, reason)) {
    last_ = *snapshot_id;
    epoch_ = current;
    ordinal_ = after_loss ? std::nullopt : parse_uint(fields[2].text);
    logger_.info("started from the bus snapshot", {{"last_id", last_.to_string()},
                                                  {"bytes", fields[3].text.size()}});
    co_return true;
  }
  // A rebuild after loss, or a snapshot the tailer could not read (it is empty now).
  tailer.rebuild("", reason);
  last_ = domain::EventId{0, 0};
  ordinal_ = after_loss ? std::nullopt : std::optional<std::uint64_t>(0);
  epoch_ = current;
  co_return true;
}

asio::awaitable<std::optional<std::vector<service::StoredEvent>>> RedisEventLog::read_range(
    const std::shared_ptr<RedisConnection>& connection, domain::EventId after,
    domain::EventId until) {
  // Bounded: past this many the rebuild folds the rest as it comes (some sent twice) rather
  // than hold an unbounded stretch of the stream in memory.
  constexpr std::size_t most = 100'000;
  constexpr std::size_t batch = 1000;
  std::vector<service::StoredEvent> events;
  while (after < until) {
    std::vector<std::string> args{"XRANGE", config_.stream, "(" + after.to_string(),
                                  until.to_string(), "COUNT", std::to_string(batch)};
    auto result = co_await connection->command(std::move(args));
    const auto* value = std::get_if<RedisValue>(&result);
    if (value == nullptr || value->kind != RedisValue::Kind::array) co_return std::nullopt;
    for (const auto& entry : value->elements) {
      if (auto id = domain::EventId::parse(entry.elements.empty() ? "" : entry.elements[0].text)) {
        after = *id;
      }
      if (auto event = decode_entry(entry)) events.push_back(std::move(*event));
    }
    if (value->elements.size() < batch) break;
    if (events.size() > most) co_return std::nullopt;
  }
  co_return events;
}

asio::awaitable<std::optional<BusProbe>> RedisEventLog::probe(
    const std::shared_ptr<RedisConnection>& connection) {
  std::vector<std::string> args{"EVAL", std::string(probe_script), "3", config_.stream,
                                epoch_key(config_), counter_key(config_)};
  auto result = co_await connection->command(std::move(args));
  const auto* value = std::get_if<RedisValue>(&result);
  if (value == nullptr || value->kind != RedisValue::Kind::array || value->elements.size() != 3) {
    if (value != nullptr) logger_.warn("redis bus probe failed", {{"error", value->text}});
    co_return std::nullopt;
  }
  const auto& e = value->elements;
  co_return BusProbe{e[0].text, id_in(e[1]), static_cast<std::uint64_t>(e[2].integer)};
}

asio::awaitable<void> RedisEventLog::probe_loop() {
  const auto alive = alive_;
  asio::steady_timer wait(executor_);
  while (*alive && !closed_) {
    wait.expires_after(config_.probe_interval);
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!*alive || closed_) co_return;
    if (!started_ || !commands_->connected() || !tail_connection_->connected()) continue;
    const auto position = last_;
    const auto generation = rebuilds_;
    const auto connection = commands_;
    auto reading = co_await probe(connection);
    if (!*alive || closed_) co_return;
    if (!reading || generation != rebuilds_) continue;
    const auto folded = ordinal_.value_or(reading->appended);
    stats_.lag_entries = reading->appended > folded ? reading->appended - folded : 0;
    stats_.lag_ms = lag_ms(position, reading->newest);
    // A replica (re)building is behind by design, and says so on /readyz; the warning is
    // for one that fell behind while serving.
    if (stats_.lag_ms >= 5000 && !lag_reported_ && !building_) {
      lag_reported_ = true;
      logger_.warn("folding lags behind the Redis stream",
                   {{"entries", stats_.lag_entries}, {"ms", stats_.lag_ms}});
    } else if (stats_.lag_ms < 1000 && lag_reported_) {
      lag_reported_ = false;
      logger_.info("caught up with the Redis stream again");
    }
    if (epoch_.empty() && position == last_) epoch_ = reading->epoch;
    if (judge_bus(*reading, {epoch_, position}) != BusLoss::none) {
      // The tail settles on its next connection and decides there, in order with its reads.
      tail_connection_->close();
    }
  }
}

void RedisEventLog::maybe_snapshot(service::EventTailer& tailer) {
  if (snapshot_writing_ || epoch_.empty() || !ordinal_ || folded_since_snapshot_ == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (snapshot_due_ == std::chrono::steady_clock::time_point{}) {
    snapshot_due_ = now + config_.snapshot_interval;
  }
  const bool by_count = folded_since_snapshot_ >= config_.snapshot_every;
  const bool by_time = config_.snapshot_interval.count() > 0 && now >= snapshot_due_;
  if (!by_count && !by_time) return;
  snapshot_writing_ = true;
  folded_since_snapshot_ = 0;
  snapshot_due_ = now + config_.snapshot_interval;
  asio::co_spawn(executor_, write_snapshot(tailer), asio::detached);
}

asio::awaitable<void> RedisEventLog::write_snapshot(service::EventTailer& tailer) {
  const auto alive = alive_;
  const auto connection = commands_;
  struct Done {
    const std::shared_ptr<bool>& alive;
    bool& writing;
    ~Done() {
      if (*alive) writing = false;
    }
  } done{alive, snapshot_writing_};
  if (!connection->connected()) co_return;
  // Another replica may have written a newer one: then serialising ours is wasted work.
  std::vector<std::string> stored_id{"HMGET", snapshot_key(config_), "id", "epoch"};
  auto stored = co_await connection->command(std::move(stored_id));
  if (!*alive || closed_) co_return;
  const auto* fields = std::get_if<RedisValue>(&stored);
  if (fields == nullptr || fields->elements.size() != 2) co_return;
  const auto stored_at = id_in(fields->elements[0]);
  if (stored_at && fields->elements[1].text == epoch_ && !(*stored_at < last_)) co_return;
  // Taken now, between two folds: consistent at last_.
  if (!ordinal_) co_return;
  const auto at = last_;
  std::vector<std::string> args{"EVAL",
                                std::string(snapshot_script),
                                "2",
                                snapshot_key(config_),
                                epoch_key(config_),
                                at.to_string(),
                                epoch_,
                                std::to_string(*ordinal_),
                                tailer.snapshot()};
  const auto bytes = args.back().size();
  auto written = co_await connection->command(std::move(args));
  if (!*alive || closed_) co_return;
  const auto* answer = std::get_if<RedisValue>(&written);
  if (answer != nullptr && answer->kind == RedisValue::Kind::integer && answer->integer == 1) {
    ++stats_.snapshots_written;
    logger_.info("bus snapshot written", {{"last_id", at.to_string()}, {"bytes", bytes}});
  } else if (answer != nullptr && answer->is_error()) {
    logger_.warn("bus snapshot not written", {{"error", answer->text}});
  }
}

service::LogHealth RedisEventLog::health() const {
  auto health = ready_health();
  health.positioned = !building_;
  return health;
}

service::LogHealth RedisEventLog::ready_health() const {
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
