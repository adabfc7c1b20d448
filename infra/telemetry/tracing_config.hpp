#pragma once
// Tracing settings from the standard OpenTelemetry environment variables
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
// Tracing runs when an OTLP endpoint is configured and the SDK is not disabled; a value
// that cannot be used is a start-up error naming the variable, not a silent default.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "infra/config/config_values.hpp"
#include "infra/telemetry/otlp_http_exporter.hpp"
#include "proto/span_data.hpp"
#include "service/telemetry/batch_span_processor.hpp"
#include "service/telemetry/sampler.hpp"

namespace relay::infra {

struct TracingConfig {
  bool enabled = false;
  std::string off_reason;  ///< Why tracing is off, for the start-up log line.
  std::string service_name = "sse-relay";
  std::vector<proto::Attribute> resource;  ///< OTEL_RESOURCE_ATTRIBUTES, service.name excluded.
  service::Sampler sampler;
  service::BatchConfig batch;
  OtlpExporterConfig exporter;
};

/// The settings, or one line naming the variable that is wrong and why.
std::variant<TracingConfig, std::string> load_tracing_config(const EnvLookup& env);

/// The OTEL_* variables, their defaults and meaning, for --help.
std::string tracing_help_text();

/// service.name, service.version, service.instance.id and the resource attributes.
proto::TelemetrySource telemetry_source(const TracingConfig& config, std::string_view version,
                                        std::string_view instance_id);

}  // namespace relay::infra
