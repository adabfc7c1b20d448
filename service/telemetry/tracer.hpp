#pragma once
// The tracing port of the service: spans that a producer's traceparent can parent, sampled
// at the head, and handed when they end to a SpanSink (the batch processor). With no sink
// tracing is off: spans cost nothing and carry no context, and the relay passes a
// producer's traceparent on unchanged.
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "proto/span_data.hpp"
#include "service/clock.hpp"
#include "service/telemetry/sampler.hpp"

namespace relay::service {

/// Where finished, sampled spans go.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void on_end(proto::SpanData&& span) = 0;
};

/// What a new span continues: a remote parent from headers, or a local span.
struct SpanParent {
  std::optional<proto::TraceContext> context;
  std::string_view tracestate;
};

class Tracer;

/// One operation. Move-only; ends (and is exported if sampled) at end() or destruction.
class Span {
 public:
  Span() = default;
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { end(); }

  /// Sampled: attributes are kept and the span is exported when it ends.
  [[nodiscard]] bool recording() const { return data_ != nullptr; }
  /// Invalid (all zero) when tracing is off.
  [[nodiscard]] const proto::TraceContext& context() const { return context_; }
  /// "00-<trace>-<span>-<flags>", or empty when tracing is off.
  [[nodiscard]] std::string traceparent() const;
  /// Hex trace id for log lines; empty when tracing is off.
  [[nodiscard]] std::string trace_id_hex() const;
  [[nodiscard]] SpanParent as_parent() const;

  Span& set(std::string_view key, std::string_view value);
  Span& set(std::string_view key, const char* value) { return set(key, std::string_view(value)); }
  Span& set(std::string_view key, std::int64_t value);
  Span& set(std::string_view key, std::uint64_t value) {
    return set(key, static_cast<std::int64_t>(value));
  }
  Span& set(std::string_view key, int value) { return set(key, static_cast<std::int64_t>(value)); }
  Span& set(std::string_view key, bool value);
  void set_error(std::string_view message);
  void end();

 private:
  friend class Tracer;
  Tracer* tracer_ = nullptr;
  proto::TraceContext context_{};
  std::unique_ptr<proto::SpanData> data_;
};

class Tracer {
 public:
  /// `sink` null: tracing off.
  Tracer(const Clock& clock, Sampler sampler, SpanSink* sink);

  [[nodiscard]] bool enabled() const { return sink_ != nullptr; }

  /// A span under `parent` (a new trace when it has no valid context). The sampler decides
  /// whether it records; either way it has ids to pass on while tracing is on.
  Span start_span(std::string_view name, proto::SpanKind kind, const SpanParent& parent = {});

  /// Counts for /metrics: spans started, and of those recorded (sampled).
  [[nodiscard]] std::uint64_t spans_started() const { return started_; }
  [[nodiscard]] std::uint64_t spans_sampled() const { return sampled_; }

 private:
  friend class Span;
  void finish(proto::SpanData&& data);

  const Clock& clock_;
  Sampler sampler_;
  SpanSink* sink_;
  std::mt19937_64 random_;
  std::uint64_t started_ = 0;
  std::uint64_t sampled_ = 0;
};

}  // namespace relay::service
