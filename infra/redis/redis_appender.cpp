#include "infra/redis/redis_appender.hpp"

#include "infra/redis/bus_probe.hpp"
#include "infra/redis/redis_scripts.hpp"
#include "infra/redis/stream_record.hpp"
#include "service/relay_error.hpp"

namespace relay::infra {

namespace asio = boost::asio;

namespace {
boost::system::error_code unavailable() { return make_error_code(error::bus_unavailable); }
}  // namespace

bool plain_group(const RedisBusConfig& config, const std::vector<service::LogRecord>& records) {
  if (config.record_format != 2) return false;
  for (const auto& record : records) {
    if (!record.dedupe_key.empty()) return false;
  }
  return true;
}

std::vector<std::string> append_call(std::string_view sha, const BusKeys& keys, const RedisBusConfig& config,
                                     const std::vector<service::LogRecord>& records, std::string epoch,
                                     bool plain) {
  if (plain) {
    std::vector<std::string> args{"EVALSHA", std::string(sha), "3", keys.stream, keys.epoch, keys.counter,
                                  std::to_string(config.max_length), std::move(epoch)};
    args.reserve(args.size() + records.size());
    for (const auto& record : records) args.push_back(encode_record_v2(record));
    return args;
  }
  std::vector<std::string> args{"EVALSHA",
                                std::string(sha),
                                "3",
                                keys.stream,
                                keys.epoch,
                                keys.counter,
                                std::to_string(config.max_length),
                                std::to_string(config.dedupe_ttl_s),
                                keys.dedupe_prefix,
                                std::move(epoch),
                                std::to_string(records.size())};
  for (const auto& record : records) {
    const auto fields = encode_stream_record(record, config.record_format);
    args.push_back(record.dedupe_key);
    args.push_back(std::to_string(fields.size()));
    for (const auto& [name, value] : fields) {
      args.push_back(name);
      args.push_back(value);
    }
  }
  return args;
}

std::optional<GroupAnswer> read_append_reply(const RedisValue& reply, std::size_t records) {
  if (reply.kind != RedisValue::Kind::array || reply.elements.size() != 3 ||
      reply.elements[2].kind != RedisValue::Kind::integer || reply.elements[2].integer < 0 ||
      reply.elements[0].kind != RedisValue::Kind::string || reply.elements[0].text.size() != records ||
      reply.elements[1].elements.size() != records) {
    return std::nullopt;
  }
  GroupAnswer answer;
  answer.ordinal = static_cast<std::uint64_t>(reply.elements[2].integer);
  answer.ids.reserve(records);
  answer.fresh.reserve(records);
  for (const char flag : reply.elements[0].text) {
    if (flag != '0' && flag != '1') return std::nullopt;
    answer.fresh.push_back(flag == '1');
  }
  for (const auto& id_text : reply.elements[1].elements) {
    auto id = domain::EventId::parse(id_text.text);
    if (!id) return std::nullopt;  // stored, but under an id we cannot read
    answer.ids.push_back(*id);
  }
  return answer;
}

// A group holds whole requests up to this many records: the script's MGET and XADD calls
// unpack their arguments onto Lua's stack, which holds some 8,000.
constexpr std::size_t group_records = 1000;

RedisAppender::RedisAppender(asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
                             std::shared_ptr<const RedisLink> link, service::Logger& logger,
                             std::shared_ptr<BusStats> stats, std::shared_ptr<CarriedRecords> carried)
    : config_(std::move(config)),
      keys_(*config_),
      link_(std::move(link)),
      logger_(logger),
      stats_(std::move(stats)),
      carried_(std::move(carried)),
      groups_(std::move(executor), group_records,
              [this](std::vector<service::LogRecord> records) { return commit(std::move(records)); }) {}

asio::awaitable<RedisResult> RedisAppender::run_script(const std::shared_ptr<RedisConnection>& connection,
                                                       const std::vector<service::LogRecord>& records) {
  const auto epoch = new_epoch();
  const bool plain = plain_group(*config_, records);
  auto& script_sha = plain ? plain_sha_ : script_sha_;
  if (!script_sha.empty()) {
    auto call = append_call(script_sha, keys_, *config_, records, epoch, plain);
    auto result = co_await connection->command(std::move(call));
    const auto* value = std::get_if<RedisValue>(&result);
    // NOSCRIPT: Redis restarted (or SCRIPT FLUSH): load it again below.
    if (value == nullptr || !value->is_error() || !value->text.starts_with("NOSCRIPT")) {
      co_return result;
    }
  }
  std::vector<std::string> load{"SCRIPT", "LOAD", std::string(plain ? scripts::append_plain : scripts::append)};
  auto loaded = co_await connection->command(std::move(load));
  const auto* sha = std::get_if<RedisValue>(&loaded);
  if (sha == nullptr || sha->kind != RedisValue::Kind::string) co_return loaded;
  script_sha = sha->text;
  auto call = append_call(script_sha, keys_, *config_, records, epoch, plain);
  co_return co_await connection->command(std::move(call));
}

asio::awaitable<bool> RedisAppender::replicated(const std::shared_ptr<RedisConnection>& connection) {
  std::vector<std::string> wait{"WAIT", std::to_string(config_->wait_replicas),
                                std::to_string(config_->wait_timeout.count())};
  // WAIT itself blocks up to its timeout on the Redis side.
  auto waited =
      co_await connection->command(std::move(wait), config_->wait_timeout + config_->command_timeout);
  const auto* copies = std::get_if<RedisValue>(&waited);
  if (copies != nullptr && copies->kind == RedisValue::Kind::integer &&
      copies->integer >= static_cast<long long>(config_->wait_replicas)) {
    co_return true;
  }
  logger_.warn("append not confirmed by the Redis replicas",
               {{"wanted", static_cast<std::uint64_t>(config_->wait_replicas)},
                {"confirmed", copies != nullptr ? static_cast<std::int64_t>(copies->integer)
                                                : std::int64_t{-1}}});
  co_return false;
}

asio::awaitable<service::AppendResult> RedisAppender::append(std::vector<service::LogRecord> records) {
  auto result = co_await groups_.append(std::move(records));
  if (result.error) {
    ++stats_->append_failures;
  } else {
    ++stats_->appends;
  }
  co_return result;
}

asio::awaitable<GroupAnswer> RedisAppender::commit(std::vector<service::LogRecord> records) {
  // Held for the whole exchange: WAIT must follow the write on the same connection.
  const auto connection = link_->commands();
  if (!connection->connected()) co_return GroupAnswer{unavailable(), {}, {}};  // nothing unstored is acknowledged
  // The tail waits for this group's answer before it folds what it reads meanwhile: settled
  // on every way out, once the records are kept.
  struct Settle {
    std::shared_ptr<CarriedRecords> carried;  // a share: the frame may outlive the appender
    std::uint64_t ticket;
    ~Settle() { carried->settle(ticket); }
  } settle{carried_, carried_->sending()};
  auto result = co_await run_script(connection, records);
  const auto* value = std::get_if<RedisValue>(&result);
  auto answer = value != nullptr ? read_append_reply(*value, records.size()) : std::nullopt;
  if (!answer) {
    logger_.warn("redis append failed",
                 {{"error", value == nullptr ? std::get<boost::system::error_code>(result).message()
                                             : value->text},
                  {"records", static_cast<std::uint64_t>(records.size())}});
    co_return GroupAnswer{unavailable(), {}, {}};
  }
  // Stored: the tail folds these records as they are instead of parsing its entries again.
  auto ordinal = answer->ordinal;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (answer->fresh[i]) carried_->keep(answer->ids[i], ++ordinal, std::move(records[i]));
  }
  carried_->settle(settle.ticket);  // before WAIT: the entries are in the stream already
  // Acknowledged only once the Redis replicas have it too, so a failover keeps it. When they
  // do not confirm in time the producer hears 503 saying it is stored but not confirmed; a
  // retry finds the dedupe key and gets the original id.
  if (config_->wait_replicas > 0 && !co_await replicated(connection)) {
    co_return GroupAnswer{make_error_code(error::not_replicated), {}, {}};
  }
  ++stats_->append_groups;
  co_return std::move(*answer);
}

asio::awaitable<service::LookupResult> RedisAppender::lookup(const std::vector<std::string>& keys) {
  service::LookupResult found;
  found.ids.resize(keys.size());
  std::vector<std::string> args{"MGET"};
  std::size_t asked = 0;
  for (const auto& key : keys) {
    if (!key.empty()) ++asked;
    args.push_back(keys_.dedupe_prefix + key);
  }
  if (asked == 0) co_return found;
  const auto connection = link_->commands();
  if (!connection->connected()) {
    found.error = unavailable();
    co_return found;
  }
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

}  // namespace relay::infra
