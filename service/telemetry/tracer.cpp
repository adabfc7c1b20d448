#include "service/telemetry/tracer.hpp"

#include <utility>

namespace relay::service {

Span::Span(Span&& other) noexcept
    : tracer_(std::exchange(other.tracer_, nullptr)),
      context_(other.context_),
      data_(std::move(other.data_)) {}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    tracer_ = std::exchange(other.tracer_, nullptr);
    context_ = other.context_;
    data_ = std::move(other.data_);
  }
  return *this;
}

std::string Span::traceparent() const {
  return context_.valid() ? proto::format_traceparent(context_) : std::string{};
}

std::string Span::trace_id_hex() const {
  return context_.valid() ? proto::to_hex(context_.trace_id) : std::string{};
}

SpanParent Span::as_parent() const {
  SpanParent parent;
  if (context_.valid()) parent.context = context_;
  if (data_) parent.tracestate = data_->trace_state;
  return parent;
}

Span& Span::set(std::string_view key, std::string_view value) {
  if (data_) data_->attributes.push_back({std::string(key), std::string(value)});
  return *this;
}

Span& Span::set(std::string_view key, std::int64_t value) {
  if (data_) data_->attributes.push_back({std::string(key), value});
  return *this;
}

Span& Span::set(std::string_view key, bool value) {
  if (data_) data_->attributes.push_back({std::string(key), value});
  return *this;
}

void Span::set_error(std::string_view message) {
  if (!data_) return;
  data_->status = proto::SpanStatus::error;
  data_->status_message = std::string(message);
}

void Span::end() {
  if (data_ && tracer_ != nullptr) tracer_->finish(std::move(*data_));
  data_.reset();
  tracer_ = nullptr;
}

Tracer::Tracer(const Clock& clock, Sampler sampler, SpanSink* sink)
    : clock_(clock), sampler_(sampler), sink_(sink), random_(std::random_device{}()) {}

Span Tracer::start_span(std::string_view name, proto::SpanKind kind, const SpanParent& parent) {
  Span span;
  if (sink_ == nullptr) return span;  // tracing off: no ids, no cost
  ++started_;
  auto fill = [this](auto& bytes) {
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
      const auto r = random_();
      for (std::size_t j = 0; j < 8 && i + j < bytes.size(); ++j)
        bytes[i + j] = static_cast<std::uint8_t>(r >> (8U * j));
    }
  };
  const bool has_parent = parent.context && parent.context->valid();
  if (has_parent) {
    span.context_.trace_id = parent.context->trace_id;
  } else {
    do fill(span.context_.trace_id);
    while (span.context_.trace_id == proto::TraceId{});
  }
  do fill(span.context_.span_id);
  while (span.context_.span_id == proto::SpanId{});
  const bool sampled =
      sampler_.should_sample(has_parent ? parent.context : std::nullopt, span.context_.trace_id);
  span.context_.flags = sampled ? 1 : 0;
  if (!sampled) return span;

  ++sampled_;
  span.tracer_ = this;
  span.data_ = std::make_unique<proto::SpanData>();
  auto& d = *span.data_;
  d.context = span.context_;
  if (has_parent) d.parent_span_id = parent.context->span_id;
  d.trace_state = std::string(parent.tracestate);
  d.name = std::string(name);
  d.kind = kind;
  d.start_unix_ns = clock_.now_unix_ns();
  d.attributes.reserve(8);
  return span;
}

void Tracer::finish(proto::SpanData&& data) {
  data.end_unix_ns = std::max(clock_.now_unix_ns(), data.start_unix_ns);
  sink_->on_end(std::move(data));
}

}  // namespace relay::service
