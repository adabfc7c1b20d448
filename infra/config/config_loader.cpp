#include "infra/config/config_loader.hpp"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "infra/redis/bus_url.hpp"
#include "infra/auth/jwk_set.hpp"

namespace relay::infra {

namespace {

using Setter = std::function<std::optional<std::string>(AppConfig&, std::string_view)>;

// One option: its flag, its variable, its default as shown by --help, and how to apply it.
struct Option {
  std::string flag;
  std::string env;
  std::string default_text;
  std::string help;
  Setter apply;
  bool switch_only = false;  ///< `--demo` alone means true; `--demo=false` still parses.
};

// A setter for an integer option within [min, max].
template <typename Assign>
Setter integer(std::uint64_t min, std::uint64_t max, Assign assign) {
  return [=](AppConfig& c, std::string_view text) -> std::optional<std::string> {
    auto value = parse_uint(text);
    if (!value || *value < min || *value > max) {
      return fmt::format("expected an integer from {} to {}, got '{}'", min, max, text);
    }
    assign(c, *value);
    return std::nullopt;
  };
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto part = text.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<Option> options() {
  using ms = std::chrono::milliseconds;
  constexpr std::uint64_t day_ms = 24ULL * 3600 * 1000;
  const RedisBusConfig bus_defaults;  // the bus options' defaults, written once (there)
  return {
      {"--host", "RELAY_HOST", "0.0.0.0", "address to listen on",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty()) return "expected an address, got ''";
         c.http.host = v;
         return std::nullopt;
       }},
      {"--port", "RELAY_PORT", "8080", "TCP port (0 picks a free one)",
       integer(0, 65535,
               [](AppConfig& c, auto v) { c.http.port = static_cast<std::uint16_t>(v); })},
      {"--heartbeat-ms", "RELAY_HEARTBEAT_MS", "30000",
       "silence on a stream before a heartbeat event",
       integer(100, day_ms, [](AppConfig& c, auto v) { c.relay.heartbeat = ms(v); })},
      {"--flush-interval-ms", "RELAY_FLUSH_INTERVAL_MS", "5",
       "least time between broadcast sweeps (batches events under load)",
       integer(0, 1000, [](AppConfig& c, auto v) { c.relay.flush_interval = ms(v); })},
      {"--retry-ms", "RELAY_RETRY_MS", "3000", "reconnect delay sent as retry: at stream start",
       integer(0, day_ms, [](AppConfig& c, auto v) { c.relay.retry = ms(v); })},
      {"--history", "RELAY_HISTORY", "10000", "frames retained for Last-Event-ID replay",
       integer(1, 10'000'000, [](AppConfig& c, auto v) { c.relay.history = v; })},
      {"--history-bytes", "RELAY_HISTORY_BYTES", "67108864",
       "bytes of history retained at most (trimmed by whichever bound comes first)",
       integer(64 * 1024, 1ULL << 40, [](AppConfig& c, auto v) { c.relay.history_bytes = v; })},
      {"--max-workers", "RELAY_MAX_WORKERS", "100000",
       "workers the read model holds at most; a create beyond is 409 too-many-workers",
       integer(1, 100'000'000, [](AppConfig& c, auto v) { c.read_model.max_workers = v; })},
      {"--terminated-retention-ms", "RELAY_TERMINATED_RETENTION_MS", "3600000",
       "how long a terminated worker stays in the read model (log time)",
       integer(0, 365 * day_ms,
               [](AppConfig& c, auto v) { c.read_model.terminated_retention_ms = v; })},
      {"--max-clients", "RELAY_MAX_CLIENTS", "10000", "concurrent subscribers; more get 503",
       integer(1, 1'000'000, [](AppConfig& c, auto v) { c.relay.max_clients = v; })},
      {"--max-pending-bytes", "RELAY_MAX_PENDING_BYTES", "1048576",
       "unsent bytes after which a subscriber that does not drain is evicted",
       integer(4096, 1ULL << 40, [](AppConfig& c, auto v) { c.relay.max_pending_bytes = v; })},
      {"--write-timeout-ms", "RELAY_WRITE_TIMEOUT_MS", "30000",
       "a subscriber whose write has not completed in this time is evicted (0: never)",
       integer(0, day_ms, [](AppConfig& c, auto v) { c.relay.write_timeout = ms(v); })},
      {"--max-body-bytes", "RELAY_MAX_BODY_BYTES", "65536",
       "largest accepted request body (413 above)",
       integer(1024, 64ULL << 20, [](AppConfig& c, auto v) { c.http.max_body_bytes = v; })},
      {"--request-timeout-ms", "RELAY_REQUEST_TIMEOUT_MS", "30000",
       "time from a request's first byte to its last, head and body (slow senders are cut)",
       integer(100, day_ms, [](AppConfig& c, auto v) { c.http.request_timeout = ms(v); })},
      {"--idle-timeout-ms", "RELAY_IDLE_TIMEOUT_MS", "60000",
       "time a kept-alive connection may wait for its next request",
       integer(100, day_ms, [](AppConfig& c, auto v) { c.http.idle_timeout = ms(v); })},
      {"--max-header-bytes", "RELAY_MAX_HEADER_BYTES", "16384",
       "largest request head (431 above), at most 65535; the request line alone is at most 8192 "
       "(414)",
       // Beast stores a field's value with a 16-bit length and throws, outside any handler of
       // ours, for a longer one: a head that large could carry such a field and stop the process.
       integer(1024, 65535, [](AppConfig& c, auto v) { c.http.max_header_bytes = v; })},
      {"--max-read-model-bytes", "RELAY_MAX_READ_MODEL_BYTES", "67108864",
       "bytes that read-model answers not yet read by their clients may hold in total; past it "
       "GET /api/workers gets 503 + Retry-After (one answer is always allowed)",
       integer(1ULL << 20, 1ULL << 40,
               [](AppConfig& c, auto v) { c.http.max_read_model_bytes = v; })},
      {"--max-clients-per-ip", "RELAY_MAX_CLIENTS_PER_IP", "0",
       "streams one client address may hold, more get 503 (0: no limit; behind a balancer "
       "set RELAY_TRUSTED_PROXIES first)",
       integer(0, 1'000'000, [](AppConfig& c, auto v) { c.http.max_clients_per_ip = v; })},
      {"--publish-rate", "RELAY_PUBLISH_RATE", "0",
       "events per second per producer token (or address without one), more get 429 (0: off)",
       integer(0, 10'000'000,
               [](AppConfig& c, auto v) { c.http.publish_rate = static_cast<double>(v); })},
      {"--publish-burst", "RELAY_PUBLISH_BURST", "0",
       "events a producer may publish at once above its rate (0: one second's worth)",
       integer(0, 100'000'000,
               [](AppConfig& c, auto v) { c.http.publish_burst = static_cast<double>(v); })},
      {"--trusted-proxies", "RELAY_TRUSTED_PROXIES", "",
       "comma-separated addresses or CIDR networks whose X-Forwarded-For/Forwarded is believed",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         auto parsed = TrustedProxies::parse(split_list(v));
         if (auto* error = std::get_if<std::string>(&parsed)) return *error;
         c.http.trusted_proxies = std::move(std::get<TrustedProxies>(parsed));
         return std::nullopt;
       }},
      {"--shutdown-grace-ms", "RELAY_SHUTDOWN_GRACE_MS", "10000",
       "how long a stop lets streams flush before closing them",
       integer(0, day_ms, [](AppConfig& c, auto v) { c.relay.shutdown_grace = ms(v); })},
      {"--reconnect-jitter-ms", "RELAY_RECONNECT_JITTER_MS", "5000",
       "spread of reconnect_ms told to clients at shutdown",
       integer(0, day_ms, [](AppConfig& c, auto v) { c.relay.reconnect_jitter = ms(v); })},
      {"--publish-token", "RELAY_PUBLISH_TOKEN", "", "Bearer token required on POSTs (empty: none)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.publish_token = v;
         return std::nullopt;
       }},
      {"--admin-port", "RELAY_ADMIN_PORT", "(unset)",
       "own listener for /metrics, /api/events/stats and /api/admin/* (unset: they stay on "
       "the public port, and the admin routes need RELAY_ADMIN_TOKEN)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty()) {
           c.http.admin.port.reset();
           return std::nullopt;
         }
         auto value = parse_uint(v);
         if (!value || *value > 65535) {
           return fmt::format("expected an integer from 0 to 65535, got '{}'", v);
         }
         c.http.admin.port = static_cast<std::uint16_t>(*value);
         return std::nullopt;
       }},
      {"--admin-host", "RELAY_ADMIN_HOST", "127.0.0.1", "address of the admin listener",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty()) return "expected an address, got ''";
         c.http.admin.host = v;
         return std::nullopt;
       }},
      {"--admin-token", "RELAY_ADMIN_TOKEN", "",
       "Bearer token for the admin routes and the admin listener (empty: admin routes off on "
       "the public port, open on an admin listener)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.admin.token = v;
         return std::nullopt;
       }},
      {"--cors-origins", "RELAY_CORS_ORIGINS", "", "comma-separated allowed Origins, or *",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.cors_origins = split_list(v);
         return std::nullopt;
       }},
      {"--jwt-secret", "RELAY_JWT_SECRET", "",
       "HS256/384/512 key for subscriber tokens, at least 32 bytes (empty: no HS key)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.jwt.secret = v;
         return std::nullopt;
       }},
      {"--jwt-public-key-file", "RELAY_JWT_PUBLIC_KEY_FILE", "",
       "PEM public key (RSA or EC) for RS*/ES* subscriber tokens",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty()) {
           c.http.jwt.public_key_pem.clear();
           return std::nullopt;
         }
         std::ifstream file{std::string(v)};
         std::ostringstream pem;
         if (!file || !(pem << file.rdbuf())) return fmt::format("cannot read '{}'", v);
         c.http.jwt.public_key_pem = pem.str();
         return std::nullopt;
       }},
      {"--jwt-jwks-file", "RELAY_JWT_JWKS_FILE", "",
       "JWK Set (RFC 7517) of RSA, EC and oct keys chosen by the token's kid; re-read when the "
       "file changes and on SIGHUP (a bad file is logged, the old keys kept)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.jwt.jwks_file = v;
         c.http.jwt.jwks.reset();
         if (v.empty()) return std::nullopt;
         auto keys = read_jwk_set_file(std::string(v));
         if (auto* error = std::get_if<std::string>(&keys)) return *error;
         c.http.jwt.jwks = std::make_shared<JwkRing>();
         c.http.jwt.jwks->replace(std::move(std::get<JwkSet>(keys)));
         return std::nullopt;
       }},
      {"--jwt-algorithms", "RELAY_JWT_ALGORITHMS", "(HS256 or RS256, by the key given)",
       "comma-separated algorithms accepted; a token naming any other is refused",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.jwt.algorithms = split_list(v);
         return std::nullopt;
       }},
      {"--jwt-issuer", "RELAY_JWT_ISSUER", "", "required iss of tokens (empty: not checked)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.jwt.issuer = v;
         return std::nullopt;
       }},
      {"--jwt-audience", "RELAY_JWT_AUDIENCE", "", "required aud of tokens (empty: not checked)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.jwt.audience = v;
         return std::nullopt;
       }},
      {"--jwt-leeway-s", "RELAY_JWT_LEEWAY_S", "30", "clock skew allowed on exp and nbf, seconds",
       integer(0, 3600, [](AppConfig& c, auto v) { c.http.jwt.leeway = std::chrono::seconds(v); })},
      {"--jwt-key-id", "RELAY_JWT_KEY_ID", "",
       "kid tokens must name (empty: not checked)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.jwt.key_id = v;
         return std::nullopt;
       }},
      {"--jwt-cookie", "RELAY_JWT_COOKIE", "sse_relay_token",
       "cookie a token may come in (EventSource cannot send headers)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty()) return std::string("expected a cookie name");
         c.http.auth.cookie = v;
         return std::nullopt;
       }},
      {"--jwt-query-param", "RELAY_JWT_QUERY_PARAM", "",
       "query parameter a token may come in (empty: off; URLs end up in proxies' logs)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.http.auth.query_param = v;
         return std::nullopt;
       }},
      {"--instance-id", "RELAY_INSTANCE_ID", "(random)", "this replica's name in connected events",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         c.relay.instance_id = v;
         return std::nullopt;
       }},
      {"--bus", "RELAY_BUS", "memory",
       "event log: memory (this process only) or redis://[user:pass@]host[:port][/db] (shared "
       "by every replica)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         auto parsed = parse_bus_url(v);
         if (auto* error = std::get_if<std::string>(&parsed)) return *error;
         c.bus = v;
         const auto& redis = std::get<std::optional<RedisBusConfig>>(parsed);
         c.redis_bus = redis.has_value();
         if (redis) {  // the address only: the RELAY_BUS_* options set the rest, in any order
           c.redis.host = redis->host;
           c.redis.port = redis->port;
           c.redis.user = redis->user;
           c.redis.password = redis->password;
           c.redis.database = redis->database;
         }
         return std::nullopt;
       }},
      {"--bus-stream", "RELAY_BUS_STREAM", bus_defaults.stream, "the Redis stream (and key prefix)",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (v.empty() || v.size() > 200) return std::string("expected 1-200 characters");
         c.redis.stream = v;
         return std::nullopt;
       }},
      {"--bus-maxlen", "RELAY_BUS_MAXLEN", std::to_string(bus_defaults.max_length),
       "entries the Redis stream keeps (XADD MAXLEN ~)",
       integer(1000, 1ULL << 40, [](AppConfig& c, auto v) { c.redis.max_length = v; })},
      {"--bus-dedupe-ttl-s", "RELAY_BUS_DEDUPE_TTL_S", std::to_string(bus_defaults.dedupe_ttl_s),
       "how long a (source, id) is remembered on the Redis bus for idempotent retries",
       integer(1, 365ULL * 86400, [](AppConfig& c, auto v) { c.redis.dedupe_ttl_s = v; })},
      {"--bus-record-format", "RELAY_BUS_RECORD_FORMAT", std::to_string(bus_defaults.record_format),
       "the Redis entry format appends write: 2 (one field per record), or 1 while replicas of a "
       "release before 2 was read share the stream (a rolling upgrade); both are read",
       integer(1, 2, [](AppConfig& c, auto v) { c.redis.record_format = static_cast<unsigned>(v); })},
      {"--bus-snapshot-every", "RELAY_BUS_SNAPSHOT_EVERY", std::to_string(bus_defaults.snapshot_every),
       "events between snapshots of the read model on the Redis bus (a new replica starts there)",
       integer(100, 1ULL << 40, [](AppConfig& c, auto v) { c.redis.snapshot_every = v; })},
      {"--bus-snapshot-interval-s", "RELAY_BUS_SNAPSHOT_INTERVAL_S",
       std::to_string(bus_defaults.snapshot_interval.count()),
       "seconds between snapshots while events arrive more slowly (0: by count only)",
       integer(0, 86400, [](AppConfig& c, auto v) { c.redis.snapshot_interval = std::chrono::seconds(v); })},
      {"--bus-snapshot-spacing-ms", "RELAY_BUS_SNAPSHOT_SPACING_MS",
       std::to_string(bus_defaults.snapshot_spacing.count()),
       "no snapshot sooner than this after the last one, however fast events come",
       integer(0, 3'600'000, [](AppConfig& c, auto v) { c.redis.snapshot_spacing = std::chrono::milliseconds(v); })},
      {"--bus-wait-replicas", "RELAY_BUS_WAIT_REPLICAS", std::to_string(bus_defaults.wait_replicas),
       "Redis replicas that must have an append before 202 (WAIT; 0: off)",
       integer(0, 16, [](AppConfig& c, auto v) { c.redis.wait_replicas = static_cast<unsigned>(v); })},
      {"--bus-command-timeout-ms", "RELAY_BUS_COMMAND_TIMEOUT_MS",
       std::to_string(bus_defaults.command_timeout.count()),
       "a Redis command without a reply by then fails its connection: publishes answer 503 "
       "within it while Redis is frozen, and /readyz turns 503 after the grace",
       integer(50, 60'000, [](AppConfig& c, auto v) { c.redis.command_timeout = std::chrono::milliseconds(v); })},
      {"--bus-wait-timeout-ms", "RELAY_BUS_WAIT_TIMEOUT_MS", std::to_string(bus_defaults.wait_timeout.count()),
       "how long an append waits for those replicas before it answers 503",
       integer(10, 60'000, [](AppConfig& c, auto v) { c.redis.wait_timeout = std::chrono::milliseconds(v); })},
      {"--demo", "RELAY_DEMO", "false", "run a simulated worker fleet through the ingest path",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (v == "true" || v == "1")
           c.demo = true;
         else if (v == "false" || v == "0")
           c.demo = false;
         else
           return fmt::format("expected true or false, got '{}'", v);
         return std::nullopt;
       },
       true},
      {"--log-level", "RELAY_LOG_LEVEL", "info", "debug, info, warn or error",
       [](AppConfig& c, std::string_view v) -> std::optional<std::string> {
         if (!service::parse_log_level(v, c.log_level)) {
           return fmt::format("expected debug, info, warn or error, got '{}'", v);
         }
         return std::nullopt;
       }},
  };
}

std::string help_text(const std::vector<Option>& opts, std::string_view version) {
  std::string out = fmt::format(
      "sse-relay {} - Server-Sent Events relay\n\n"
      "Usage: sse-relay [options]\n\n"
      "Every option can also be set by its environment variable; a flag wins.\n\n",
      version);
  for (const auto& o : opts) {
    out += fmt::format("  {:<30} {:<26} {} (default: {})\n",
                       o.switch_only ? o.flag : o.flag + " VALUE", o.env, o.help,
                       o.default_text.empty() ? "''" : o.default_text);
  }
  out +=
      "  --help                         print this help\n  --version                      print "
      "the version\n";
  out += tracing_help_text();
  return out;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

std::variant<AppConfig, ConfigExit> load_config(const std::vector<std::string>& args,
                                                const EnvLookup& env, std::string_view version) {
  const auto opts = options();
  AppConfig config;
  // Environment first, then flags on top.
  for (const auto& o : opts) {
    if (auto value = env(o.env)) {
      if (auto error = o.apply(config, *value)) {
        return ConfigExit{2, fmt::format("{}: {}", o.env, *error)};
      }
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return ConfigExit{0, help_text(opts, version)};
    if (arg == "--version") return ConfigExit{0, fmt::format("sse-relay {}\n", version)};
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const Option* match = nullptr;
    for (const auto& o : opts) {
      if (o.flag == name) match = &o;
    }
    if (!match) return ConfigExit{2, fmt::format("unknown option '{}' (see --help)", name)};
    if (!value && match->switch_only) value = "true";
    if (!value) {
      if (i + 1 >= args.size()) return ConfigExit{2, fmt::format("{}: missing value", name)};
      value = args[++i];
    }
    if (auto error = match->apply(config, *value)) {
      return ConfigExit{2, fmt::format("{}: {}", name, *error)};
    }
  }
  if (config.relay.max_pending_bytes < 2 * config.http.max_body_bytes) {
    return ConfigExit{2, fmt::format("RELAY_MAX_PENDING_BYTES ({}) must be at least twice "
                                     "RELAY_MAX_BODY_BYTES ({}), or one event could evict everyone",
                                     config.relay.max_pending_bytes, config.http.max_body_bytes)};
  }
  if (config.relay.history_bytes < 4 * config.http.max_body_bytes) {
    return ConfigExit{2, fmt::format("RELAY_HISTORY_BYTES ({}) must be at least four times "
                                     "RELAY_MAX_BODY_BYTES ({}), or a few events would trim all "
                                     "history",
                                     config.relay.history_bytes, config.http.max_body_bytes)};
  }
  if (config.http.admin.port && *config.http.admin.port != 0 && *config.http.admin.port == config.http.port) {
    return ConfigExit{2, fmt::format("RELAY_ADMIN_PORT ({}) must differ from RELAY_PORT: the "
                                     "admin routes would be served to everyone",
                                     *config.http.admin.port)};
  }
  if (config.http.jwt.enabled()) {
    auto verifier = JwtVerifier::create(config.http.jwt);
    if (auto* error = std::get_if<std::string>(&verifier)) return ConfigExit{2, *error};
    config.http.auth.verifier =
        std::make_shared<const JwtVerifier>(std::move(std::get<JwtVerifier>(verifier)));
  } else if (!config.http.jwt.algorithms.empty()) {
    return ConfigExit{2, "RELAY_JWT_ALGORITHMS is set but none of RELAY_JWT_SECRET, "
                         "RELAY_JWT_PUBLIC_KEY_FILE and RELAY_JWT_JWKS_FILE is"};
  }
  auto tracing = load_tracing_config(env);
  if (auto* error = std::get_if<std::string>(&tracing)) return ConfigExit{2, *error};
  config.tracing = std::move(std::get<TracingConfig>(tracing));
  // Spans still queued at stop get no more time than the streams do.
  config.tracing.batch.shutdown_flush =
      std::min(config.tracing.batch.export_timeout, config.relay.shutdown_grace);
  return config;
}

}  // namespace relay::infra
