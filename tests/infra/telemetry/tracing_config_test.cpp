#include "infra/telemetry/tracing_config.hpp"

#include <map>

#include <doctest/doctest.h>

using namespace relay;
using namespace relay::infra;

namespace {
std::variant<TracingConfig, std::string> load(std::map<std::string, std::string> vars) {
  return load_tracing_config([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  });
}
TracingConfig ok(std::map<std::string, std::string> vars) {
  auto r = load(std::move(vars));
  if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
  return std::get<TracingConfig>(r);
}
std::string config_error(std::map<std::string, std::string> vars) {
  auto r = load(std::move(vars));
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}
}  // namespace

TEST_CASE("tracing is off until an endpoint is set, and the reason is kept for the log") {
  auto none = ok({});
  CHECK_FALSE(none.enabled);
  CHECK(none.off_reason == "no OTEL_EXPORTER_OTLP_ENDPOINT");
  auto disabled =
      ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, {"OTEL_SDK_DISABLED", "TRUE"}});
  CHECK_FALSE(disabled.enabled);
  CHECK(disabled.off_reason == "OTEL_SDK_DISABLED=true");
  CHECK_FALSE(
      ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, {"OTEL_TRACES_EXPORTER", "none"}})
          .enabled);
  CHECK(ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}}).enabled);
}

TEST_CASE("the base endpoint gets /v1/traces; the traces endpoint is used as given") {
  auto base = ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4318"}});
  CHECK(base.exporter.host == "jaeger");
  CHECK(base.exporter.port == "4318");
  CHECK(base.exporter.target == "/v1/traces");
  CHECK(base.exporter.url == "http://jaeger:4318/v1/traces");
  auto slash = ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://gw/otel/"}});
  CHECK(slash.exporter.port == "80");
  CHECK(slash.exporter.target == "/otel/v1/traces");
  auto traces = ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:1"},
                    {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9999/custom"}});
  CHECK(traces.exporter.host == "127.0.0.1");
  CHECK(traces.exporter.target == "/custom");
  auto v6 = ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]:4318"}});
  CHECK(v6.exporter.host == "::1");
}

TEST_CASE("batch, timeout, sampler, headers and resource settings") {
  auto c = ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
               {"OTEL_BSP_SCHEDULE_DELAY", "250"},
               {"OTEL_BSP_EXPORT_TIMEOUT", "4000"},
               {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
               {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"},
               {"OTEL_EXPORTER_OTLP_TIMEOUT", "700"},
               {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
               {"OTEL_TRACES_SAMPLER_ARG", "0.1"},
               {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%20ecret, x-team=labs"},
               {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,deployment.environment=prod"},
               {"OTEL_SERVICE_NAME", "from-env"}});
  CHECK(c.batch.schedule_delay.count() == 250);
  CHECK(c.batch.export_timeout.count() == 4000);
  CHECK(c.batch.max_queue_size == 100);
  CHECK(c.batch.max_export_batch_size == 10);
  CHECK(c.exporter.timeout.count() == 700);
  CHECK(c.sampler.kind == service::Sampler::Kind::parentbased_traceidratio);
  CHECK(c.sampler.ratio == 0.1);
  REQUIRE(c.exporter.headers.size() == 2);
  CHECK(c.exporter.headers[0] == std::pair<std::string, std::string>{"api-key", "s ecret"});
  CHECK(c.service_name == "from-env");  // OTEL_SERVICE_NAME wins over the attribute
  REQUIRE(c.resource.size() == 1);
  CHECK(c.resource[0].key == "deployment.environment");
  auto source = telemetry_source(c, "1.2.3", "replica-7");
  CHECK(source.resource[0].key == "service.name");
  CHECK(std::get<std::string>(source.resource[0].value) == "from-env");
  CHECK(std::get<std::string>(source.resource[1].value) == "1.2.3");
  CHECK(std::get<std::string>(source.resource[2].value) == "replica-7");
}

TEST_CASE("a value that cannot be used is an error naming the variable") {
  const std::map<std::string, std::string> base{{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}};
  auto with = [&](std::string k, std::string v) {
    auto vars = base;
    vars[k] = v;
    return config_error(vars);
  };
  CHECK(config_error({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"}})
            .starts_with("OTEL_EXPORTER_OTLP_ENDPOINT: only http:// is supported"));
  CHECK(config_error({{"OTEL_EXPORTER_OTLP_ENDPOINT", "jaeger:4318/x y"}})
            .starts_with("OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318/x y' is not an absolute URL"));
  CHECK(with("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") ==
        "OTEL_EXPORTER_OTLP_PROTOCOL: only http/protobuf is supported, got 'grpc'");
  CHECK(
      with("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip").starts_with("OTEL_EXPORTER_OTLP_COMPRESSION"));
  CHECK(with("OTEL_TRACES_SAMPLER", "often").starts_with("OTEL_TRACES_SAMPLER: unknown sampler"));
  CHECK(with("OTEL_TRACES_EXPORTER", "jaeger").starts_with("OTEL_TRACES_EXPORTER"));
  CHECK(with("OTEL_SDK_DISABLED", "yes").starts_with("OTEL_SDK_DISABLED"));
  CHECK(with("OTEL_BSP_SCHEDULE_DELAY", "5s") ==
        "OTEL_BSP_SCHEDULE_DELAY: expected milliseconds from 0 to 3600000, got '5s'");
  CHECK(with("OTEL_BSP_MAX_QUEUE_SIZE", "0").starts_with("OTEL_BSP_MAX_QUEUE_SIZE"));
  CHECK(with("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096")
            .starts_with("OTEL_BSP_MAX_EXPORT_BATCH_SIZE (4096) must not exceed"));
  CHECK(with("OTEL_EXPORTER_OTLP_HEADERS", "novalue").starts_with("OTEL_EXPORTER_OTLP_HEADERS"));
}

TEST_CASE("resource attributes an operator sets win over the relay's own") {
  auto c = ok({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
               {"OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=pod-3,k8s.pod.name=pod-3"}});
  auto source = telemetry_source(c, "1.2.3", "random-id");
  int instance_ids = 0;
  for (const auto& a : source.resource) {
    if (a.key == "service.instance.id") {
      ++instance_ids;
      CHECK(std::get<std::string>(a.value) == "pod-3");
    }
  }
  CHECK(instance_ids == 1);
}
