#pragma once
// Tracing as configured: OTLP exporter -> batch span processor -> tracer, or a tracer with
// no sink when tracing is off. Built before the relay (which takes the tracer); the
// processor is a hosted service started first and stopped last, so spans of the shutdown
// itself are flushed.
#include <optional>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "infra/telemetry/otlp_http_exporter.hpp"
#include "infra/telemetry/tracing_config.hpp"
#include "service/telemetry/batch_span_processor.hpp"
#include "service/clock.hpp"
#include "service/telemetry/logger.hpp"
#include "service/telemetry/tracer.hpp"

namespace relay::infra {

class TracingPipeline {
 public:
  TracingPipeline(boost::asio::any_io_executor executor, const TracingConfig& config,
                  const service::Clock& clock, service::Logger& logger, std::string_view version,
                  std::string_view instance_id);

  [[nodiscard]] service::Tracer& tracer() { return tracer_; }
  /// Null when tracing is off.
  [[nodiscard]] service::BatchSpanProcessor* processor() {
    return processor_ ? &*processor_ : nullptr;
  }

 private:
  std::optional<OtlpHttpExporter> exporter_;
  std::optional<service::BatchSpanProcessor> processor_;
  service::Tracer tracer_;
};

}  // namespace relay::infra
