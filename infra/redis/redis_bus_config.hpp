#pragma once
// Where the Redis bus lives and how it is bounded and timed (RELAY_BUS=redis://..., DESIGN 7).
// One struct for every part of the adapter; infra/config_loader fills it from the environment.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace relay::infra {

struct RedisBusConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string user;      ///< AUTH user (empty: AUTH with the password alone, if any)
  std::string password;  ///< AUTH password (empty: no AUTH)
  unsigned database = 0;  ///< SELECT
  std::string stream = "sse-relay:events";  ///< RELAY_BUS_STREAM
  std::uint64_t max_length = 1'000'000;      ///< RELAY_BUS_MAXLEN: XADD MAXLEN ~ this
  std::uint64_t dedupe_ttl_s = 86'400;       ///< RELAY_BUS_DEDUPE_TTL_S: retry window
  /// RELAY_BUS_RECORD_FORMAT: the entry format appends write (stream_record.hpp); both are
  /// read. 1 while replicas of a release that reads only v1 share the stream.
  unsigned record_format = 2;
  std::chrono::milliseconds connect_timeout{2000};
  /// RELAY_BUS_COMMAND_TIMEOUT_MS: a command without a reply by then fails its connection,
  /// so a frozen Redis answers publishes 503 within it instead of holding them (a tail read
  /// gets this on top of its BLOCK).
  std::chrono::milliseconds command_timeout{2000};
  /// How long a lost connection may stay lost before /readyz says so: a blip does not pull
  /// every replica out of the balancer at once (appends still answer 503 meanwhile).
  std::chrono::milliseconds ready_grace{2000};
  std::chrono::milliseconds block{5000};  ///< XREAD BLOCK: how long one tail read waits
  std::size_t tail_batch = 512;           ///< XREAD COUNT
  std::uint64_t snapshot_every = 10'000;  ///< RELAY_BUS_SNAPSHOT_EVERY: events between snapshots
  std::chrono::seconds snapshot_interval{60};  ///< RELAY_BUS_SNAPSHOT_INTERVAL_S (0: by count only)
  /// RELAY_BUS_SNAPSHOT_SPACING_MS: no snapshot sooner than this after the last one, however
  /// fast events come (encoding one costs the relay CPU in proportion to its replay window).
  std::chrono::milliseconds snapshot_spacing{5000};
  std::chrono::milliseconds probe_interval{1000};  ///< epoch and lag checks
  unsigned wait_replicas = 0;  ///< RELAY_BUS_WAIT_REPLICAS: WAIT for them before 202 (0: off)
  std::chrono::milliseconds wait_timeout{1000};
  /// Largest entry folded: RELAY_MAX_BODY_BYTES plus the other fields. A larger one was not
  /// written by a relay (its ingest refuses such bodies) and is counted as undecodable
  /// before anything is parsed: a 60 MB entry XADDed by hand took the RSS to 436 MB.
  std::size_t max_entry_bytes = 64UL * 1024 + 16UL * 1024;
};

/// The keys beside the stream, all named after it.
struct BusKeys {
  explicit BusKeys(const RedisBusConfig& config)
      : stream(config.stream),
        epoch(config.stream + ":epoch"),
        counter(config.stream + ":count"),
        snapshot(config.stream + ":snapshot"),
        dedupe_prefix(config.stream + ":dedupe:") {}
  std::string stream;
  std::string epoch;    ///< Created with the stream's first append; a new one after a wipe.
  std::string counter;  ///< Entries ever appended in this epoch: each entry's ordinal.
  std::string snapshot;
  std::string dedupe_prefix;
};

}  // namespace relay::infra
