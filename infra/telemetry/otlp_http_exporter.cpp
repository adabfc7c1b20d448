#include "infra/telemetry/otlp_http_exporter.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <fmt/format.h>

#include "infra/telemetry/export_retry.hpp"
#include "proto/otlp_trace_encoder.hpp"
#include "proto/otlp_trace_response.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

OtlpHttpExporter::OtlpHttpExporter(asio::any_io_executor executor, OtlpExporterConfig config,
                                   proto::TelemetrySource source)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      source_(std::move(source)),
      resolver_(executor_),
      backoff_(executor_),
      random_(std::random_device{}()) {}

asio::awaitable<service::ExportResult> OtlpHttpExporter::export_batch(
    const std::vector<proto::SpanData>& batch, steady::time_point deadline) {
  aborted_ = false;
  const auto body = proto::encode_export_trace_request(source_, batch);
  auto backoff = config_.initial_backoff;
  std::string last_error;
  for (std::size_t attempt = 1;; ++attempt) {
    auto result = co_await post_once(body, deadline);
    if (result.delivered) {
      co_return service::ExportResult{true, std::move(result.error), result.rejected};
    }
    last_error = std::move(result.error);
    if (!result.retryable || aborted_ || attempt >= config_.max_attempts) break;
    const auto wait = retry_wait(backoff, result.retry_after, random_);
    if (steady::now() + wait >= deadline) break;
    backoff_.expires_after(wait);
    co_await backoff_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (aborted_) break;
    backoff = next_backoff(backoff, config_.max_backoff);
  }
  co_return service::ExportResult{false, std::move(last_error)};
}

asio::awaitable<OtlpHttpExporter::Attempt> OtlpHttpExporter::post_once(
    const std::string& body, steady::time_point deadline) {
  const auto expiry = std::min(deadline, steady::now() + config_.timeout);
  if (steady::now() >= expiry)
    co_return Attempt{false, false, std::nullopt, "export deadline passed"};
  if (!stream_) {
    stream_.emplace(executor_);
    stream_->expires_at(expiry);
    auto [rec, endpoints] = co_await resolver_.async_resolve(config_.host, config_.port,
                                                             asio::as_tuple(asio::use_awaitable));
    if (rec) {
      close();
      co_return Attempt{false, true, std::nullopt,
                        fmt::format("cannot resolve {}: {}", config_.host, rec.message())};
    }
    auto [cec, endpoint] =
        co_await stream_->async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    if (cec) {
      close();
      co_return Attempt{false, true, std::nullopt,
                        fmt::format("cannot connect to {}: {}", config_.url, cec.message())};
    }
    stream_->socket().set_option(tcp::no_delay(true));
  }
  http::request<http::string_body> req{http::verb::post, config_.target, 11};
  req.set(http::field::host, config_.host + ":" + config_.port);
  req.set(http::field::content_type, "application/x-protobuf");
  req.set(http::field::user_agent, "sse-relay-otlp");
  for (const auto& [name, value] : config_.headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  ++requests_;
  stream_->expires_at(expiry);
  auto [wec, written] =
      co_await http::async_write(*stream_, req, asio::as_tuple(asio::use_awaitable));
  if (wec) {
    close();
    // A kept-alive connection the collector closed meanwhile fails here: retry on a new one.
    co_return Attempt{false, wec != beast::error::timeout && !aborted_, std::nullopt,
                      fmt::format("sending to {}: {}", config_.url, wec.message())};
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  auto [rec, read] =
      co_await http::async_read(*stream_, buffer, res, asio::as_tuple(asio::use_awaitable));
  if (rec) {
    close();
    // No answer within the timeout: the collector hangs; retrying would only pile on.
    co_return Attempt{
        false, rec != beast::error::timeout && !aborted_, std::nullopt,
        rec == beast::error::timeout
            ? fmt::format("{} did not answer within {} ms", config_.url, config_.timeout.count())
            : fmt::format("reading from {}: {}", config_.url, rec.message())};
  }
  if (!res.keep_alive()) close();
  const auto status = res.result_int();
  if (status >= 200 && status < 300) {
    Attempt ok{true, false, std::nullopt, {}};
    // A 200 may still carry partial_success: the spans it names were not kept.
    if (auto answer = proto::parse_export_trace_response(res.body());
        answer && answer->rejected_spans > 0) {
      ok.rejected = static_cast<std::size_t>(answer->rejected_spans);
      ok.error = answer->error_message.empty() ? "partial success" : answer->error_message;
    }
    co_return ok;
  }
  Attempt failed{false, retryable_status(status), std::nullopt,
                 fmt::format("{} answered HTTP {}", config_.url, status)};
  if (auto it = res.find(http::field::retry_after); it != res.end())
    failed.retry_after = parse_retry_after(it->value());
  co_return failed;
}

void OtlpHttpExporter::abort() {
  aborted_ = true;
  // Only cancel here: the coroutine using the stream sees the error and closes it itself,
  // so the stream is never destroyed under a pending operation.
  if (stream_) stream_->cancel();
  resolver_.cancel();
  backoff_.cancel();
}

void OtlpHttpExporter::close() {
  if (!stream_) return;
  beast::error_code ignored;
  stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_->close();
  stream_.reset();
}

}  // namespace relay::infra
