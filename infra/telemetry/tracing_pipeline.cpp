#include "infra/telemetry/tracing_pipeline.hpp"

namespace relay::infra {

TracingPipeline::TracingPipeline(boost::asio::any_io_executor executor, const TracingConfig& config,
                                 const service::Clock& clock, service::Logger& logger,
                                 std::string_view version, std::string_view instance_id)
    // exporter_ and processor_ are declared first, so they exist when the tracer is made.
    : tracer_(clock, config.sampler, [&]() -> service::SpanSink* {
        if (!config.enabled) return nullptr;
        exporter_.emplace(executor, config.exporter,
                          telemetry_source(config, version, instance_id));
        processor_.emplace(executor, config.batch, *exporter_, logger);
        return &*processor_;
      }()) {
  if (!config.enabled) {
    logger.info("tracing off", {{"reason", config.off_reason}});
    return;
  }
  logger.info("tracing on", {{"endpoint", config.exporter.url},
                             {"sampler", config.sampler.describe()},
                             {"service_name", config.service_name}});
}

}  // namespace relay::infra
