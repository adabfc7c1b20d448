#pragma once
// GET /metrics: the relay's counters in the Prometheus text format, through prometheus-cpp
// (core only; Beast serves the text). The relay keeps plain integers on its own thread;
// at scrape they are read into metric families, so the hot path never touches a registry.
// Request counts, which only this layer sees, live in a prometheus::Registry.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "service/telemetry/batch_span_processor.hpp"
#include "service/event_ingest.hpp"
#include "service/event_log.hpp"
#include "infra/redis/bus_stats.hpp"
#include "service/telemetry/logger.hpp"
#include "service/sse_event_relay.hpp"
#include "service/telemetry/tracer.hpp"
#include "service/worker_projection.hpp"

namespace relay::infra {

/// Which build this is: sse_relay_build_info's labels.
struct BuildInfo {
  std::string_view version;
  std::string_view commit;  ///< git commit the binary was built from ("unknown" outside git)
};

class RelayMetrics {
 public:
  /// `spans` may be null (tracing off): the span metrics then stay at zero.
  RelayMetrics(const service::SseEventRelay& relay, const service::EventIngest& ingest,
               const service::WorkerProjection& projection, const service::Tracer& tracer,
               const service::Logger& logger, const service::BatchSpanProcessor* spans,
               BuildInfo build, const service::EventLog& log, const BusStats* bus = nullptr);

  /// One ingest request answered (POST /api/domain-events or /api/events) after `seconds`.
  void count_ingest_request(std::string_view route, unsigned status, double seconds);

  /// An operator's action (admin routes) and the streams it closed.
  void count_admin_action(std::string_view action, std::uint64_t streams_closed);

  /// The exposition text (text/plain; version=0.0.4).
  [[nodiscard]] std::string render() const;

 private:
  const service::SseEventRelay& relay_;
  const service::EventIngest& ingest_;
  const service::WorkerProjection& projection_;
  const service::Tracer& tracer_;
  const service::Logger& logger_;
  const service::BatchSpanProcessor* spans_;
  const service::EventLog& log_;
  const BusStats* bus_;  ///< The Redis bus's figures; null on the memory log.
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& ingest_requests_;
  prometheus::Family<prometheus::Histogram>& ingest_duration_;
  /// The series each ingest answer touches, found once: Family::Add builds a label map,
  /// hashes it and takes a lock, twice per request on the publish path otherwise.
  struct IngestSeries {
    std::string route;
    unsigned status = 0;
    prometheus::Counter* requests = nullptr;
    prometheus::Histogram* duration = nullptr;
  };
  std::vector<IngestSeries> ingest_series_;
  prometheus::Family<prometheus::Counter>& admin_actions_;
  prometheus::Family<prometheus::Counter>& admin_closed_;
};

}  // namespace relay::infra
