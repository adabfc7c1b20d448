#include "infra/telemetry/prometheus_metrics.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "infra/os/process_stats.hpp"
#include "service/eviction_policy.hpp"

namespace relay::infra {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Builds the families of one scrape.
class Families {
 public:
  MetricFamily& family(std::string name, std::string help, MetricType type) {
    out_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return out_.back();
  }
  void counter(std::string name, std::string help, double value) {
    family(std::move(name), std::move(help), MetricType::Counter)
        .metric.push_back(sample(value, true));
  }
  void gauge(std::string name, std::string help, double value) {
    family(std::move(name), std::move(help), MetricType::Gauge)
        .metric.push_back(sample(value, false));
  }
  static ClientMetric sample(double value, bool counter,
                             std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    if (counter)
      m.counter.value = value;
    else
      m.gauge.value = value;
    return m;
  }
  std::vector<MetricFamily>& all() { return out_; }

 private:
  std::vector<MetricFamily> out_;
};

}  // namespace

RelayMetrics::RelayMetrics(const service::SseEventRelay& relay, const service::EventIngest& ingest,
                           const service::WorkerProjection& projection,
                           const service::Tracer& tracer, const service::Logger& logger,
                           const service::BatchSpanProcessor* spans, BuildInfo build,
                           const service::EventLog& log, const BusStats* bus)
    : relay_(relay),
      ingest_(ingest),
      projection_(projection),
      tracer_(tracer),
      logger_(logger),
      spans_(spans),
      log_(log),
      bus_(bus),
      registry_(std::make_shared<prometheus::Registry>()),
      ingest_requests_(prometheus::BuildCounter()
                           .Name("sse_relay_ingest_requests_total")
                           .Help("Ingest requests answered, by route and HTTP status.")
                           .Register(*registry_)),
      ingest_duration_(prometheus::BuildHistogram()
                           .Name("sse_relay_ingest_duration_seconds")
                           .Help("Time from an ingest request's arrival to its answer (202 "
                                 "after the event log stored it), by route.")
                           .Register(*registry_)),
      admin_actions_(prometheus::BuildCounter()
                         .Name("sse_relay_admin_actions_total")
                         .Help("Operator actions on the admin routes, by action.")
                         .Register(*registry_)),
      admin_closed_(prometheus::BuildCounter()
                        .Name("sse_relay_admin_streams_closed_total")
                        .Help("Streams closed by operator actions, by action.")
                        .Register(*registry_)) {
  prometheus::BuildGauge()
      .Name("sse_relay_build_info")
      .Help("Always 1; the labels say which build and replica this is.")
      .Register(*registry_)
      .Add({{"version", std::string(build.version)},
            {"commit", std::string(build.commit)},
            {"instance_id", relay.instance_id()}})
      .Set(1);
  // Present from the first scrape, at zero: a rate() over a family that appears only with
  // its first event misses that event.
  for (const char* action : {"close_stream", "revoke_subject"}) {
    admin_actions_.Add({{"action", action}});
    admin_closed_.Add({{"action", action}});
  }
}

void RelayMetrics::count_ingest_request(std::string_view route, unsigned status, double seconds) {
  // Two routes times a handful of statuses: a short list, searched in place.
  auto it = std::find_if(ingest_series_.begin(), ingest_series_.end(), [&](const auto& s) {
    return s.status == status && s.route == route;
  });
  if (it == ingest_series_.end()) {
    static const prometheus::Histogram::BucketBoundaries bounds{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};
    it = ingest_series_.insert(
        ingest_series_.end(),
        IngestSeries{std::string(route), status,
                     &ingest_requests_.Add({{"route", std::string(route)},
                                            {"code", std::to_string(status)}}),
                     &ingest_duration_.Add({{"route", std::string(route)}}, bounds)});
  }
  it->requests->Increment();
  it->duration->Observe(seconds);
}

void RelayMetrics::count_admin_action(std::string_view action, std::uint64_t streams_closed) {
  admin_actions_.Add({{"action", std::string(action)}}).Increment();
  admin_closed_.Add({{"action", std::string(action)}})
      .Increment(static_cast<double>(streams_closed));
}

std::string RelayMetrics::render() const {
  const auto& s = relay_.stats();
  const auto& log = relay_.frame_log();
  Families f;

  f.gauge("sse_relay_connected_subscribers", "Subscribers connected now.",
          static_cast<double>(relay_.subscriber_count()));
  f.gauge("sse_relay_max_subscribers",
          "The subscriber limit in effect (RELAY_MAX_CLIENTS, fitted to the descriptor limit).",
          static_cast<double>(relay_.config().max_clients));
  f.counter("sse_relay_subscriptions_total", "Streams opened since start.",
            static_cast<double>(s.subscriptions_total));
  f.counter("sse_relay_subscriptions_rejected_total",
            "Streams refused with 503 (too many subscribers, or draining).",
            static_cast<double>(s.rejected_subscriptions));

  auto& ingested =
      f.family("sse_relay_events_ingested_total",
               "Domain events folded from the event log into the aggregates, by domain event type.",
               MetricType::Counter);
  for (const auto& [type, n] : projection_.folded_by_type())
    ingested.metric.push_back(Families::sample(static_cast<double>(n), true, {{"type", type}}));
  auto& broadcast = f.family("sse_relay_events_broadcast_total",
                             "Events folded into a frame and fanned out, by SSE event type.",
                             MetricType::Counter);
  for (const auto& [type, counts] : s.per_type)
    broadcast.metric.push_back(
        Families::sample(static_cast<double>(counts.published), true, {{"type", type}}));
  f.counter("sse_relay_events_appended_total",
            "Events this replica appended to the event log (retries answered from it excluded).",
            static_cast<double>(ingest_.appended()));
  f.counter("sse_relay_fold_rejected_total",
            "Log events the fold refused (a conflict another replica's ingest accepted first).",
            static_cast<double>(s.fold_rejected));
  f.counter("sse_relay_events_silent_total",
            "Accepted events that changed nothing subscribers see (no frame).",
            static_cast<double>(s.events_silent));
  f.counter("sse_relay_deliveries_total", "Event frames written, summed over subscribers.",
            static_cast<double>(s.deliveries));
  f.counter("sse_relay_written_bytes_total", "Stream bytes written to subscribers.",
            static_cast<double>(s.bytes_written));
  f.counter("sse_relay_conflated_total", "Frames skipped because a newer one had their key.",
            static_cast<double>(s.conflated));
  f.counter("sse_relay_heartbeats_total", "Heartbeat events written.",
            static_cast<double>(s.heartbeats));
  auto& resyncs = f.family("sse_relay_resyncs_total",
                           "Subscriptions told to resync, by reason (too_old, unknown, malformed, "
                           "future: a Last-Event-ID this relay cannot resume; the bus's reasons: "
                           "it lost data).",
                           MetricType::Counter);
  for (const char* known : {"too_old", "unknown", "malformed", "future"}) {
    if (!s.resyncs_by_reason.contains(known)) {
      resyncs.metric.push_back(Families::sample(0, true, {{"reason", known}}));
    }
  }
  for (const auto& [reason, n] : s.resyncs_by_reason) {
    resyncs.metric.push_back(
        Families::sample(static_cast<double>(n), true, {{"reason", reason}}));
  }
  f.counter("sse_relay_reauths_total",
            "Streams closed with system.sse.reauth: their token expired or was revoked.",
            static_cast<double>(s.reauths));
  if (const auto* bus = bus_) {
    f.gauge("sse_relay_bus_connected", "1 while the Redis command connection is up.",
            bus->connected ? 1 : 0);
    f.counter("sse_relay_bus_appends_total", "Append requests the Redis bus stored.",
              static_cast<double>(bus->appends));
    f.counter("sse_relay_bus_append_groups_total",
              "Append script runs: appends that arrive during one go together in the next.",
              static_cast<double>(bus->append_groups));
    f.counter("sse_relay_bus_append_failures_total",
              "Append requests answered 503 bus-unavailable (Redis down, or WAIT short).",
              static_cast<double>(bus->append_failures));
    f.counter("sse_relay_bus_reconnects_total", "Connections to Redis re-established.",
              static_cast<double>(bus->reconnects));
    f.counter("sse_relay_bus_epoch_changes_total",
              "Rebuilds because Redis lost events this replica had folded (wiped, rewound).",
              static_cast<double>(bus->epoch_changes));
    f.counter("sse_relay_bus_gaps_total",
              "Stream entries trimmed before this replica read them, with no snapshot to cover.",
              static_cast<double>(bus->gaps));
    f.counter("sse_relay_bus_snapshots_written_total", "Read-model snapshots this replica wrote.",
              static_cast<double>(bus->snapshots_written));
    f.counter("sse_relay_bus_entries_carried_total",
              "Entries this replica appended, folded from the record it held instead of decoded.",
              static_cast<double>(bus->carried));
    f.counter("sse_relay_bus_undecodable_total", "Stream entries that could not be read.",
              static_cast<double>(bus->undecodable));
    f.gauge("sse_relay_bus_lag_entries", "Entries appended to the stream not folded here yet.",
            static_cast<double>(bus->lag_entries));
    f.gauge("sse_relay_bus_lag_seconds",
            "The newest stream entry's time minus the last folded one's.",
            static_cast<double>(bus->lag_ms) / 1000.0);
  }
  auto& evictions =
      f.family("sse_relay_evictions_total", "Subscribers disconnected by the relay, by reason.",
               MetricType::Counter);
  for (auto reason : service::all_eviction_reasons) {
    evictions.metric.push_back(
        Families::sample(static_cast<double>(s.evictions_for(reason)), true,
                         {{"reason", std::string(service::to_string(reason))}}));
  }

  auto& latency = f.family("sse_relay_broadcast_latency_seconds",
                           "From an event's append to the end of the sweep that carried it to "
                           "every subscriber keeping up.",
                           MetricType::Histogram);
  ClientMetric h;
  const auto& hist = s.broadcast_latency;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < hist.bounds.size(); ++i) {
    cumulative += hist.in_bucket[i];
    h.histogram.bucket.push_back({cumulative, hist.bounds[i]});
  }
  h.histogram.bucket.push_back({hist.count, std::numeric_limits<double>::infinity()});
  h.histogram.sample_count = hist.count;
  h.histogram.sample_sum = hist.sum;
  latency.metric.push_back(std::move(h));

  f.gauge("sse_relay_log_entries", "Entries retained in the log.", static_cast<double>(log.size()));
  f.gauge("sse_relay_log_capacity_entries", "Entries the log retains at most (RELAY_HISTORY).",
          static_cast<double>(log.capacity()));
  f.gauge("sse_relay_log_retained_bytes", "Bytes of the frames retained in the log.",
          static_cast<double>(log.retained_bytes()));
  // Ids are <unix ms>-<seq>: the oldest id's time says how far back a client can resume.
  f.gauge("sse_relay_log_oldest_timestamp_seconds",
          "Unix time of the oldest retained event (0 when the log is empty).",
          log.empty() ? 0.0 : static_cast<double>(log.oldest().id.ms) / 1000.0);
  f.gauge("sse_relay_log_newest_timestamp_seconds",
          "Unix time of the newest event (0 when the log is empty).",
          log.empty() ? 0.0 : static_cast<double>(log.newest().id.ms) / 1000.0);
  f.gauge("sse_relay_draining", "1 while the relay is stopping.", relay_.stopping() ? 1 : 0);
  f.gauge("sse_relay_ready",
          "1 when /readyz answers 200: not draining and the event log available.",
          !relay_.stopping() && log_.health().ready ? 1 : 0);
  f.counter("sse_relay_log_lines_dropped_total",
            "Log lines dropped because stdout did not drain and the log buffer was full.",
            static_cast<double>(logger_.dropped()));

  const auto& tracer = tracer_;
  const auto spans = spans_ ? spans_->stats() : service::SpanExportStats{};
  f.counter("sse_relay_spans_started_total", "Spans started (tracing on), sampled or not.",
            static_cast<double>(tracer.spans_started()));
  f.counter("sse_relay_spans_sampled_total", "Spans recorded for export.",
            static_cast<double>(tracer.spans_sampled()));
  f.counter("sse_relay_spans_exported_total", "Spans the OTLP collector accepted.",
            static_cast<double>(spans.exported));
  auto& dropped = f.family("sse_relay_spans_dropped_total",
                           "Sampled spans never exported: the queue was full, the collector "
                           "failed (down, 5xx, no answer) after retries, or it rejected them.",
                           MetricType::Counter);
  dropped.metric.push_back(Families::sample(static_cast<double>(spans.dropped_queue_full), true,
                                            {{"reason", "queue_full"}}));
  dropped.metric.push_back(Families::sample(static_cast<double>(spans.dropped_export_failed), true,
                                            {{"reason", "export_failed"}}));
  dropped.metric.push_back(Families::sample(static_cast<double>(spans.dropped_rejected), true,
                                            {{"reason", "rejected"}}));
  f.counter("sse_relay_span_export_failures_total", "Export batches that failed.",
            static_cast<double>(spans.export_failures));
  f.gauge("sse_relay_span_queue_spans", "Spans waiting for export.",
          static_cast<double>(spans.queued));

  // The standard process_* family (what every client library exports under these names).
  if (const auto process = read_process_stats()) {
    f.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
              process->cpu_seconds);
    f.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            static_cast<double>(process->resident_bytes));
    f.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            static_cast<double>(process->virtual_bytes));
    f.gauge("process_open_fds", "Number of open file descriptors.",
            static_cast<double>(process->open_fds));
    f.gauge("process_max_fds", "Maximum number of open file descriptors.",
            static_cast<double>(process->max_fds));
    f.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            process->start_time_seconds);
    f.gauge("process_threads", "Number of OS threads in the process.",
            static_cast<double>(process->threads));
  }

  auto& all = f.all();
  auto registered = registry_->Collect();
  all.insert(all.end(), std::make_move_iterator(registered.begin()),
             std::make_move_iterator(registered.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, all);
  return out.str();
}

}  // namespace relay::infra
