#include "infra/redis/redis_tailer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/redis/bus_probe.hpp"
#include "infra/redis/redis_monitor.hpp"
#include "infra/redis/redis_scripts.hpp"
#include "infra/redis/stream_entry.hpp"
#include "infra/redis/tail_judge.hpp"

namespace relay::infra {

namespace asio = boost::asio;

RedisTailer::RedisTailer(asio::any_io_executor executor, std::shared_ptr<const RedisBusConfig> config,
                         std::shared_ptr<RedisLink> link, service::Logger& logger, std::shared_ptr<BusStats> stats,
                         service::LoopGroup& loops, asio::any_io_executor encoder,
                         std::shared_ptr<CarriedRecords> carried)
    : executor_(std::move(executor)),
      encoder_(std::move(encoder)),
      config_(std::move(config)),
      keys_(*config_),
      link_(std::move(link)),
      logger_(logger),
      stats_(std::move(stats)),
      loops_(loops),
      carried_(std::move(carried)),
      connection_(std::make_shared<RedisConnection>(executor_)),
      cadence_(config_->snapshot_every, config_->snapshot_interval, config_->snapshot_spacing) {}

void RedisTailer::close() {
  closed_ = true;
  connection_->close();
}

std::optional<service::StoredEvent> RedisTailer::decode(const RedisValue& entry) {
  auto decoded = decode_entry(entry, config_->max_entry_bytes);
  if (decoded.event) return std::move(decoded.event);
  ++stats_->undecodable;
  logger_.error("stream entry not readable",
                {{"id", entry.elements.empty() ? std::string() : entry.elements[0].text},
                 {"reason", decoded.problem}});
  return std::nullopt;
}

std::optional<service::StoredEvent> RedisTailer::carried_or_decoded(const RedisValue& entry,
                                                                    std::optional<std::uint64_t> ordinal) {
  if (entry.elements.size() == 2) {
    if (auto id = domain::EventId::parse(entry.elements[0].text)) {
      if (auto record = carried_->take(*id, ordinal)) {
        ++stats_->carried;
        return service::StoredEvent{*id, std::move(*record)};
      }
    }
  }
  return decode(entry);
}

asio::awaitable<void> RedisTailer::pause() {
  asio::steady_timer backoff(executor_, std::chrono::milliseconds(200));
  co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> RedisTailer::run(domain::EventId after, service::EventTailer& tailer) {
  const auto self = shared_from_this();
  state_.last = after;
  while (!closed_) {
    if (!connection_->connected()) {
      state_.caught_up = false;
      auto opened = co_await link_->open();
      if (closed_) co_return;
      if (std::holds_alternative<boost::system::error_code>(opened)) {
        co_await pause();
        continue;
      }
      connection_ = std::move(std::get<std::shared_ptr<RedisConnection>>(opened));
      const bool settled = co_await settle(tailer);
      if (closed_) co_return;
      if (!settled) {
        connection_->close();
        co_await pause();
        continue;
      }
    }
    // Until caught up, reads do not block: an empty or short answer means everything the
    // stream held is folded, and /readyz can turn 200 at once rather than after BLOCK.
    std::vector<std::string> args{"XREAD", "COUNT", std::to_string(config_->tail_batch)};
    if (state_.caught_up) {
      args.push_back("BLOCK");
      args.push_back(std::to_string(config_->block.count()));
    }
    args.push_back("STREAMS");
    args.push_back(config_->stream);
    args.push_back(state_.last.to_string());
    const auto connection = connection_;
    const auto generation = state_.rebuilds;
    // A blocking read may be silent for its BLOCK; past that plus the command deadline,
    // Redis is not answering.
    auto result = co_await connection->command(
        std::move(args),
        state_.caught_up ? config_->block + config_->command_timeout : config_->command_timeout);
    if (closed_) co_return;
    const auto* value = std::get_if<RedisValue>(&result);
    if (value == nullptr) continue;               // connection lost: settle again
    if (generation != state_.rebuilds) continue;  // read from before a rebuild: read again
    if (value->is_nil()) {  // nothing new within BLOCK: everything there was is folded
      state_.caught_up = true;
      state_.building = false;
      maybe_checkpoint(tailer);
      continue;
    }
    // [[stream, [[id, [f, v, ...]], ...]]]
    if (value->is_error() || value->elements.empty() || value->elements[0].elements.size() != 2) {
      logger_.warn("redis tail read failed", {{"error", value->text}});
      co_await pause();
      continue;
    }
    const auto& entries = value->elements[0].elements[1].elements;
    co_await carried_->until_settled();  // records of ours among them: folded, not decoded
    if (closed_) co_return;
    if (generation != state_.rebuilds) continue;
    const bool in_order = co_await fold(entries, tailer);
    if (closed_) co_return;
    if (!in_order) {
      state_.caught_up = false;
      continue;
    }
    if (entries.size() < config_->tail_batch) {  // only now is the frame log the stream's
      state_.caught_up = true;
      state_.building = false;
    }
    maybe_checkpoint(tailer);
  }
}

asio::awaitable<bool> RedisTailer::fold(const std::vector<RedisValue>& entries,
                                        service::EventTailer& tailer) {
  std::vector<std::optional<std::uint64_t>> ordinals;
  ordinals.reserve(entries.size());
  for (const auto& entry : entries) ordinals.push_back(ordinal_of(entry));
  const auto verdict = judge_entries(state_.ordinal, ordinals);
  for (std::size_t i = 0; i < verdict.fold; ++i) {
    if (ordinals[i]) state_.ordinal = ordinals[i];
    if (auto event = carried_or_decoded(entries[i], ordinals[i])) {
      state_.last = event->id;
      tailer.on_event(*event);
    } else if (auto id = domain::EventId::parse(entries[i].elements.empty()
                                                    ? std::string_view{}
                                                    : std::string_view(entries[i].elements[0].text))) {
      state_.last = *id;  // counted and logged by decode()
    }
    cadence_.folded();
  }
  switch (verdict.then) {
    case TailVerdict::Then::read_on:
      co_return true;
    case TailVerdict::Then::gap:
      co_await recover_gap(tailer, *verdict.ordinal);
      co_return false;  // read again from where the recovery left `last`
    case TailVerdict::Then::went_back:
      // Seen here, in order, before any of it is folded: nothing is broadcast and then
      // broadcast again after the rebuild.
      ++stats_->epoch_changes;
      logger_.error("the Redis stream went back (an entry's ordinal did not grow): wiped or "
                    "rewound; rebuilding, streams resync",
                    {{"last_id", state_.last.to_string()},
                     {"ordinal", *verdict.ordinal},
                     {"folded_ordinal", state_.ordinal.value_or(0)}});
      if (!co_await restart(tailer, "bus_data_lost") && !closed_) connection_->close();
      co_return false;
  }
  co_return false;
}

asio::awaitable<void> RedisTailer::recover_gap(service::EventTailer& tailer, std::uint64_t ordinal) {
  const auto connection = connection_;
  auto snapshot = co_await load_snapshot(*connection, keys_);
  if (closed_) co_return;
  // The snapshot covers the gap when it includes every entry before `ordinal`.
  if (snapshot && snapshot->id && snapshot->epoch == state_.epoch && snapshot->ordinal &&
      *snapshot->ordinal + 1 >= ordinal && state_.last < *snapshot->id &&
      tailer.rebuild(snapshot->data, "bus_gap")) {
    ++state_.rebuilds;
    state_.last = *snapshot->id;
    state_.ordinal = snapshot->ordinal;
    cadence_.restarted();
    logger_.warn("entries were trimmed before this replica read them; caught up from the "
                 "snapshot, streams resync",
                 {{"snapshot_id", state_.last.to_string()}});
    co_return;
  }
  ++stats_->gaps;
  logger_.error("entries were trimmed before this replica read them and no snapshot covers "
                "them; the read model misses them, streams resync",
                {{"after", state_.last.to_string()},
                 {"missing", ordinal - 1 - state_.ordinal.value_or(0)}});
  tailer.gap("bus_gap");
  state_.ordinal = ordinal - 1;
}

asio::awaitable<bool> RedisTailer::settle(service::EventTailer& tailer) {
  if (!state_.started) {
    if (!co_await restart(tailer, "") || closed_) co_return false;
    state_.started = true;
  }
  const auto connection = connection_;
  auto reading = co_await probe_bus(*connection, keys_, logger_);
  if (!reading || closed_) co_return false;
  const auto loss = judge_bus(*reading, {state_.epoch, state_.last});
  if (loss != BusLoss::none) {
    ++stats_->epoch_changes;
    logger_.error("the Redis stream lost events this replica folded; rebuilding, streams resync",
                  {{"loss", to_string(loss)}, {"last_id", state_.last.to_string()},
                   {"epoch", state_.epoch}, {"stream_epoch", reading->epoch}});
    if (!co_await restart(tailer, "bus_data_lost") || closed_) co_return false;
    reading = co_await probe_bus(*connection, keys_, logger_);
    if (!reading || closed_) co_return false;
  }
  if (state_.epoch.empty()) state_.epoch = reading->epoch;
  co_return true;
}

asio::awaitable<bool> RedisTailer::restart(service::EventTailer& tailer, const std::string& reason) {
  const auto connection = connection_;
  // The epoch is created here if the stream has none yet, so a replica always knows the one
  // it folds under (a wipe before its first probe cannot pass unseen).
  std::vector<std::string> get_epoch{"EVAL", std::string(scripts::ensure_epoch), "1", keys_.epoch,
                                     new_epoch()};
  auto epoch_reply = co_await connection->command(std::move(get_epoch));
  auto snapshot = co_await load_snapshot(*connection, keys_);
  if (closed_) co_return false;
  const auto* epoch = std::get_if<RedisValue>(&epoch_reply);
  if (epoch == nullptr || epoch->kind != RedisValue::Kind::string || !snapshot) co_return false;
  const std::string current = epoch->text;
  // After a loss what is folded from here may be another stream (wiped, rewound): decoded,
  // never carried. (At the start the appends already answered are this stream's.)
  if (state_.started) carried_->clear();
  ++state_.rebuilds;
  state_.caught_up = false;
  state_.building = true;
  cadence_.restarted();
  // Only a snapshot of the stream as it is now: one of a wiped epoch describes lost events.
  const bool usable = snapshot->id && snapshot->epoch == current;
  if (!state_.started && (!usable || !(state_.last < *snapshot->id))) {
    // The start, and the tailer already holds as much as the snapshot (tail(after)).
    state_.epoch = current;
    state_.ordinal = state_.last == domain::EventId{0, 0} ? std::optional<std::uint64_t>(0)
                                                           : std::nullopt;
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
    const auto folded_before = state_.last;
    const auto from = usable ? *snapshot->id : domain::EventId{0, 0};
    auto known = co_await read_range(from, folded_before);
    if (closed_) co_return false;
    if (known && (!usable || tailer.rebuild(snapshot->data, ""))) {
      if (!usable) tailer.rebuild("", "");
      state_.last = from;
      for (const auto& event : *known) {
        tailer.on_event(event);
        state_.last = event.id;
      }
      tailer.resync(reason);
      state_.ordinal = std::nullopt;
      state_.epoch = current;
      logger_.info("rebuilt after the loss",
                   {{"from", from.to_string()},
                    {"refolded", static_cast<std::uint64_t>(known->size())},
                    {"last_id", state_.last.to_string()}});
      co_return true;
    }
  }
  if (usable && tailer.rebuild(snapshot->data, reason)) {
    state_.last = *snapshot->id;
    state_.epoch = current;
    state_.ordinal = after_loss ? std::nullopt : snapshot->ordinal;
    logger_.info("started from the bus snapshot",
                 {{"last_id", state_.last.to_string()},
                  {"bytes", static_cast<std::uint64_t>(snapshot->data.size())}});
    co_return true;
  }
  // A rebuild after loss, or a snapshot the tailer could not read (it is empty now).
  tailer.rebuild("", reason);
  state_.last = domain::EventId{0, 0};
  state_.ordinal = after_loss ? std::nullopt : std::optional<std::uint64_t>(0);
  state_.epoch = current;
  co_return true;
}

asio::awaitable<std::optional<std::vector<service::StoredEvent>>> RedisTailer::read_range(
    domain::EventId after, domain::EventId until) {
  // Bounded: past this many the rebuild folds the rest as it comes (some sent twice) rather
  // than hold an unbounded stretch of the stream in memory.
  constexpr std::size_t most = 100'000;
  constexpr std::size_t batch = 1000;
  const auto connection = connection_;
  std::vector<service::StoredEvent> events;
  while (after < until) {
    std::vector<std::string> args{"XRANGE", config_->stream, "(" + after.to_string(),
                                  until.to_string(), "COUNT", std::to_string(batch)};
    auto result = co_await connection->command(std::move(args));
    if (closed_) co_return std::nullopt;
    const auto* value = std::get_if<RedisValue>(&result);
    if (value == nullptr || value->kind != RedisValue::Kind::array) co_return std::nullopt;
    for (const auto& entry : value->elements) {
      if (auto id = domain::EventId::parse(entry.elements.empty() ? "" : entry.elements[0].text)) {
        after = *id;
      }
      if (auto event = decode(entry)) events.push_back(std::move(*event));
    }
    if (value->elements.size() < batch) break;
    if (events.size() > most) co_return std::nullopt;
  }
  co_return events;
}

void RedisTailer::maybe_checkpoint(service::EventTailer& tailer) {
  if (checkpoint_writing_ || state_.epoch.empty() || !state_.ordinal) return;
  if (!cadence_.take_due(std::chrono::steady_clock::now())) return;
  checkpoint_writing_ = true;
  loops_.spawn("snapshot", write_checkpoint(tailer));
}

asio::awaitable<void> RedisTailer::write_checkpoint(service::EventTailer& tailer) {
  const auto self = shared_from_this();
  struct Done {
    bool& writing;
    ~Done() { writing = false; }
  } done{checkpoint_writing_};
  const auto connection = link_->commands();
  if (!connection->connected()) co_return;
  // Another replica may have written a newer one: then serialising ours is wasted work.
  const auto stored = co_await peek_snapshot(*connection, keys_);
  if (closed_ || !stored || !state_.ordinal) co_return;
  if (stored->id && stored->epoch == state_.epoch && !(*stored->id < state_.last)) co_return;
  // Captured now, between two folds: consistent at `last` and its ordinal. Encoded on the
  // encoder's thread while the tail folds on; `self` keeps this tailer (and the façade keeps
  // the encoder) until the job is back, and close() is checked once it is.
  auto job = tailer.snapshot_job();
  if (!job) co_return;
  BusSnapshot snapshot{state_.last, state_.epoch, state_.ordinal, {}};
  // Named before the co_await: g++ 12 destroys a lambda's init-capture twice when the
  // lambda is a temporary inside a co_await expression.
  auto encode = [job = std::move(job)]() -> asio::awaitable<std::string> { co_return job(); };
  snapshot.data = co_await asio::co_spawn(encoder_, std::move(encode), asio::use_awaitable);
  if (closed_) co_return;
  const auto bytes = static_cast<std::uint64_t>(snapshot.data.size());
  const auto written = co_await store_snapshot(*connection, keys_, snapshot);
  if (closed_) co_return;
  if (written == SnapshotStored::written) {
    ++stats_->snapshots_written;
    logger_.info("bus snapshot written", {{"last_id", snapshot.id->to_string()}, {"bytes", bytes}});
  } else if (written == SnapshotStored::failed) {
    logger_.warn("bus snapshot not written", {{"last_id", snapshot.id->to_string()}});
  }
}

}  // namespace relay::infra
