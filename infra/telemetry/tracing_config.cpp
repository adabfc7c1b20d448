#include "infra/telemetry/tracing_config.hpp"

#include "infra/http/trim.hpp"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

#include <fmt/format.h>

namespace relay::infra {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "k1=v1,k2=v2" with percent-encoded values (W3C Baggage syntax, used by *_HEADERS and
// OTEL_RESOURCE_ATTRIBUTES).
std::optional<std::vector<std::pair<std::string, std::string>>> parse_pairs(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim_blanks(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || trim_blanks(item.substr(0, eq)).empty())
      return std::nullopt;
    auto value = boost::urls::make_pct_string_view(trim_blanks(item.substr(eq + 1)));
    if (!value) return std::nullopt;
    out.emplace_back(std::string(trim_blanks(item.substr(0, eq))), value->decode());
  }
  return out;
}

// host, port and path of an http:// URL; `append` is added to the path (the signal's
// path under OTEL_EXPORTER_OTLP_ENDPOINT).
std::optional<std::string> parse_endpoint(std::string_view name, std::string_view text,
                                          std::string_view append, OtlpExporterConfig& out) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return fmt::format("{}: '{}' is not an absolute URL", name, text);
  if (url->scheme() != "http") {
    return fmt::format(
        "{}: only http:// is supported (got '{}'); run the collector beside the relay or put a "
        "TLS-terminating proxy in front of it",
        name, url->scheme());
  }
  if (url->host().empty()) return fmt::format("{}: '{}' has no host", name, text);
  out.host = url->host_address();
  if (url->host_type() == boost::urls::host_type::ipv6) {
    out.host = std::string(url->encoded_host_address());
    if (out.host.size() > 2 && out.host.front() == '[')
      out.host = out.host.substr(1, out.host.size() - 2);
  }
  out.port = url->has_port() ? std::string(url->port()) : "80";
  std::string path(url->encoded_path());
  if (!append.empty()) {
    while (!path.empty() && path.back() == '/') path.pop_back();
    path += append;
  }
  out.target = path.empty() ? "/" : path;
  if (url->has_query()) out.target += "?" + std::string(url->encoded_query());
  out.url = fmt::format("http://{}:{}{}", url->encoded_host_address(), out.port, out.target);
  return std::nullopt;
}

struct Var {
  const char* name;
  const char* default_text;
  const char* help;
};
constexpr Var variables[] = {
    {"OTEL_SDK_DISABLED", "false", "true turns tracing off"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT", "(none: tracing off)",
     "collector base URL; spans go to <it>/v1/traces (http://jaeger:4318)"},
    {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "(none)", "full traces URL; wins over the above"},
    {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "the only protocol of this build"},
    {"OTEL_EXPORTER_OTLP_HEADERS", "''", "k=v,k2=v2 added to each export request"},
    {"OTEL_EXPORTER_OTLP_TIMEOUT", "10000", "ms to wait for one export request"},
    {"OTEL_TRACES_EXPORTER", "otlp", "otlp or none"},
    {"OTEL_TRACES_SAMPLER", "parentbased_always_on",
     "always_on, always_off, traceidratio, parentbased_*"},
    {"OTEL_TRACES_SAMPLER_ARG", "1.0", "ratio for the traceidratio samplers"},
    {"OTEL_SERVICE_NAME", "sse-relay", "service.name of the spans"},
    {"OTEL_RESOURCE_ATTRIBUTES", "''", "k=v,... more resource attributes"},
    {"OTEL_BSP_SCHEDULE_DELAY", "5000", "ms between batch exports"},
    {"OTEL_BSP_EXPORT_TIMEOUT", "30000", "ms one batch may take, retries included"},
    {"OTEL_BSP_MAX_QUEUE_SIZE", "2048", "spans waiting; more are dropped and counted"},
    {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512", "spans per export request"},
};

}  // namespace

std::string tracing_help_text() {
  std::string out = "\nTracing (OpenTelemetry environment variables):\n";
  for (const auto& v : variables) {
    out += fmt::format("  {:<36} {} (default: {})\n", v.name, v.help, v.default_text);
  }
  return out;
}

std::variant<TracingConfig, std::string> load_tracing_config(const EnvLookup& env) {
  TracingConfig c;
  auto get = [&](const char* name) { return env(name).value_or(""); };
  auto ms_var = [&](const char* name,
                    std::chrono::milliseconds& out) -> std::optional<std::string> {
    const auto text = get(name);
    if (text.empty()) return std::nullopt;
    const auto value = parse_uint(text);
    if (!value || *value > 3'600'000) {
      return fmt::format("{}: expected milliseconds from 0 to 3600000, got '{}'", name, text);
    }
    out = std::chrono::milliseconds(*value);
    return std::nullopt;
  };
  auto count_var = [&](const char* name, std::size_t& out) -> std::optional<std::string> {
    const auto text = get(name);
    if (text.empty()) return std::nullopt;
    const auto value = parse_uint(text);
    if (!value || *value < 1 || *value > 1'000'000) {
      return fmt::format("{}: expected an integer from 1 to 1000000, got '{}'", name, text);
    }
    out = *value;
    return std::nullopt;
  };

  const auto disabled = lower(get("OTEL_SDK_DISABLED"));
  if (!disabled.empty() && disabled != "true" && disabled != "false")
    return fmt::format("OTEL_SDK_DISABLED: expected true or false, got '{}'", disabled);
  const auto exporter = lower(get("OTEL_TRACES_EXPORTER"));
  if (!exporter.empty() && exporter != "otlp" && exporter != "none")
    return fmt::format("OTEL_TRACES_EXPORTER: expected otlp or none, got '{}'", exporter);
  for (const char* name : {"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"}) {
    const auto protocol = get(name);
    if (!protocol.empty() && protocol != "http/protobuf")
      return fmt::format("{}: only http/protobuf is supported, got '{}'", name, protocol);
  }
  for (const char* name :
       {"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"}) {
    const auto compression = lower(get(name));
    if (!compression.empty() && compression != "none")
      return fmt::format("{}: only none is supported, got '{}'", name, compression);
  }

  std::string error;
  auto sampler =
      service::Sampler::parse(get("OTEL_TRACES_SAMPLER"), get("OTEL_TRACES_SAMPLER_ARG"), error);
  if (!sampler) return error;
  c.sampler = *sampler;

  if (auto e = ms_var("OTEL_BSP_SCHEDULE_DELAY", c.batch.schedule_delay)) return *e;
  if (auto e = ms_var("OTEL_BSP_EXPORT_TIMEOUT", c.batch.export_timeout)) return *e;
  if (auto e = count_var("OTEL_BSP_MAX_QUEUE_SIZE", c.batch.max_queue_size)) return *e;
  if (auto e = count_var("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", c.batch.max_export_batch_size))
    return *e;
  if (c.batch.max_export_batch_size > c.batch.max_queue_size) {
    return fmt::format(
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE ({}) must not exceed OTEL_BSP_MAX_QUEUE_SIZE ({})",
        c.batch.max_export_batch_size, c.batch.max_queue_size);
  }
  if (auto e = ms_var("OTEL_EXPORTER_OTLP_TIMEOUT", c.exporter.timeout)) return *e;
  if (auto e = ms_var("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", c.exporter.timeout)) return *e;

  for (const char* name : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    const auto text = get(name);
    if (text.empty()) continue;
    auto headers = parse_pairs(text);
    if (!headers) return fmt::format("{}: expected key=value,key2=value2", name);
    c.exporter.headers = std::move(*headers);  // the traces-specific list wins
  }
  if (const auto text = get("OTEL_RESOURCE_ATTRIBUTES"); !text.empty()) {
    auto pairs = parse_pairs(text);
    if (!pairs) return "OTEL_RESOURCE_ATTRIBUTES: expected key=value,key2=value2";
    for (auto& [k, v] : *pairs) {
      if (k == "service.name")
        c.service_name = v;
      else
        c.resource.push_back({k, v});
    }
  }
  if (const auto name = get("OTEL_SERVICE_NAME"); !name.empty()) c.service_name = name;

  const auto traces_endpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const auto base_endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (!traces_endpoint.empty()) {
    if (auto e =
            parse_endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces_endpoint, "", c.exporter))
      return *e;
  } else if (!base_endpoint.empty()) {
    if (auto e =
            parse_endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", base_endpoint, "/v1/traces", c.exporter))
      return *e;
  }

  if (disabled == "true") {
    c.off_reason = "OTEL_SDK_DISABLED=true";
  } else if (exporter == "none") {
    c.off_reason = "OTEL_TRACES_EXPORTER=none";
  } else if (traces_endpoint.empty() && base_endpoint.empty()) {
    c.off_reason = "no OTEL_EXPORTER_OTLP_ENDPOINT";
  } else {
    c.enabled = true;
  }
  return c;
}

proto::TelemetrySource telemetry_source(const TracingConfig& config, std::string_view version,
                                        std::string_view instance_id) {
  proto::TelemetrySource source;
  auto given = [&](std::string_view key) {
    return std::any_of(config.resource.begin(), config.resource.end(),
                       [&](const proto::Attribute& a) { return a.key == key; });
  };
  source.resource.push_back({"service.name", config.service_name});
  // An operator's OTEL_RESOURCE_ATTRIBUTES win over what the relay knows of itself.
  if (!given("service.version"))
    source.resource.push_back({"service.version", std::string(version)});
  if (!given("service.instance.id"))
    source.resource.push_back({"service.instance.id", std::string(instance_id)});
  source.resource.push_back({"telemetry.sdk.name", std::string("sse-relay")});
  source.resource.push_back({"telemetry.sdk.language", std::string("cpp")});
  source.resource.push_back({"telemetry.sdk.version", std::string(version)});
  source.resource.insert(source.resource.end(), config.resource.begin(), config.resource.end());
  source.scope_name = "sse-relay";
  source.scope_version = std::string(version);
  return source;
}

}  // namespace relay::infra
