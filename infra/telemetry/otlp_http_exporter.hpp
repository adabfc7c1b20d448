#pragma once
// OTLP/HTTP exporter (https://opentelemetry.io/docs/specs/otlp/#otlphttp): POSTs each batch
// as a protobuf ExportTraceServiceRequest to the collector over one kept-alive connection.
// Retries 429/502/503/504 and connection failures with jittered exponential backoff
// (honouring Retry-After) until the batch's deadline; anything else fails the batch.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "proto/span_data.hpp"
#include "service/telemetry/batch_span_processor.hpp"

namespace relay::infra {

struct OtlpExporterConfig {
  std::string url;  ///< The full traces URL, for logs: http://host:port/v1/traces
  std::string host;
  std::string port;
  std::string target;                                        ///< Path of the URL.
  std::vector<std::pair<std::string, std::string>> headers;  ///< OTEL_EXPORTER_OTLP_HEADERS
  std::chrono::milliseconds timeout{10000};  ///< OTEL_EXPORTER_OTLP_TIMEOUT, per request.
  std::size_t max_attempts = 5;              ///< Per batch, the first try included.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
};

class OtlpHttpExporter final : public service::SpanExporter {
 public:
  OtlpHttpExporter(boost::asio::any_io_executor executor, OtlpExporterConfig config,
                   proto::TelemetrySource source);

  boost::asio::awaitable<service::ExportResult> export_batch(
      const std::vector<proto::SpanData>& batch,
      std::chrono::steady_clock::time_point deadline) override;
  void abort() override;

  [[nodiscard]] std::uint64_t requests_sent() const { return requests_; }

 private:
  struct Attempt {
    bool delivered = false;
    bool retryable = false;
    std::optional<std::chrono::milliseconds> retry_after;
    std::string error;
    std::size_t rejected = 0;  ///< Delivered, but this many spans were refused.
  };
  boost::asio::awaitable<Attempt> post_once(const std::string& body,
                                            std::chrono::steady_clock::time_point deadline);
  void close();

  boost::asio::any_io_executor executor_;
  OtlpExporterConfig config_;
  proto::TelemetrySource source_;
  std::optional<boost::beast::tcp_stream> stream_;  ///< Kept alive between exports.
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer backoff_;  ///< The wait between tries; abort() cuts it short.
  std::mt19937 random_;
  std::uint64_t requests_ = 0;
  bool aborted_ = false;
};

}  // namespace relay::infra
