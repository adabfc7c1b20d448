#include "infra/routes/publish_routes.hpp"

#include <chrono>
#include <variant>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <fmt/format.h>

#include "infra/http/error_responses.hpp"
#include "infra/http/http_responses.hpp"
#include "infra/routes/domain_events_route.hpp"
#include "infra/routes/ingest_span.hpp"
#include "infra/routes/route_table.hpp"
#include "proto/json_writer.hpp"
#include "proto/publish_request.hpp"
#include "proto/traceparent.hpp"

namespace relay::infra {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

std::optional<Response> PublishRoutes::admit(const Request& req, const std::string& producer,
                                         std::size_t events) {
  if (!publish_rate_.enabled() || producer.empty()) return std::nullopt;
  const auto verdict = publish_rate_.take(producer, events, std::chrono::steady_clock::now());
  if (verdict.allowed) return std::nullopt;
  if (verdict.over_burst) {
    return problem_response(
        req, {429, ptype::rate_limited, "Too Many Requests",
              fmt::format("{} events in one request exceed RELAY_PUBLISH_BURST ({}); send "
                          "smaller batches",
                          events, publish_rate_.burst()),
              ""});
  }
  auto res = problem_response(
      req, {429, ptype::rate_limited, "Too Many Requests",
            fmt::format("this producer is over its publish rate (RELAY_PUBLISH_RATE, {} events/s "
                        "with bursts of {}); nothing was stored, retry after {} s",
                        config_.publish_rate, publish_rate_.burst(), verdict.retry_after.count()),
            ""});
  res.set(http::field::retry_after, std::to_string(verdict.retry_after.count()));
  return res;
}

asio::awaitable<Response> PublishRoutes::handle(const Request& req, std::string_view route,
                                              std::string_view client) {
  const auto arrived = std::chrono::steady_clock::now();
  const auto producer = producer_context(req);
  auto span = start_ingest_span(tracer_, req, route, producer);
  // Tracing on: the fold continues the ingest span; off: the producer's context is carried
  // into the envelope as it came. Either way it is stored with the event in the log.
  service::IngestContext context;
  if (tracer_.enabled()) {
    context.traceparent = span.traceparent();
  } else if (producer.context) {
    context.traceparent = proto::format_traceparent(*producer.context);
  }
  context.tracestate = std::string(producer.tracestate);
  Response res;
  // `client` empty: the relay's own demo producer, inside the process, with no rate.
  auto identified = client.empty() ? std::variant<std::string, Response>(std::string())
                                   : auth_.identify(req, client);
  if (auto* denied = std::get_if<Response>(&identified)) {
    res = std::move(*denied);
  } else if (route == route::publish) {
    res = co_await publish(req, std::move(context), std::get<std::string>(identified));
  } else {
    // Named, not a temporary inside the co_await (GCC 12 mishandles those).
    const IngestAdmission admit_events = [this, &req, producer = std::get<std::string>(identified)](
                                             std::size_t events) { return admit(req, producer, events); };
    res = co_await ingest_domain_events(req, ingest_, std::move(context), admit_events);
  }
  const auto status = res.result_int();
  metrics_.count_ingest_request(
      route, status,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived).count());
  const auto trace_id = log_trace_id(span, producer);
  if (status >= 400) {
    // A 5xx is the relay's (or its log's) failure, worth an operator's look; a 4xx is the
    // producer's and stays at info.
    logger_.log(status >= 500 ? service::LogLevel::warn : service::LogLevel::info,
                "ingest rejected",
                {{"route", route}, {"status", status}, {"problem", service::LogJson{res.body()}}},
                trace_id);
  } else {
    logger_.debug("ingest accepted", {{"route", route}, {"status", status}}, trace_id);
  }
  finish_ingest_span(span, res);
  co_return res;
}

asio::awaitable<Response> PublishRoutes::publish(const Request& req,
                                                 service::IngestContext context,
                                                 const std::string& producer) {
  if (!has_media_type(req, "application/json")) {
    co_return problem_response(req,
                               {415, ptype::unsupported_media_type, "Unsupported Media Type",
                                fmt::format("POST /api/events takes application/json, got '{}'",
                                            std::string_view(req[http::field::content_type])),
                                ""});
  }
  // Idempotency-Key (DESIGN 4.3): checked before the body, like any header; one line only,
  // or two requests could be told apart by which of them a cache or a proxy kept.
  std::string idempotency_key;
  const auto [key_first, key_last] = req.equal_range("Idempotency-Key");
  if (key_first != key_last) {
    if (std::next(key_first) != key_last) {
      co_return problem_response(req, {400, ptype::invalid_header, "Invalid Header",
                                       "Idempotency-Key appears more than once", ""});
    }
    const auto value = std::string_view(key_first->value());
    if (auto problem = proto::idempotency_key_problem(value)) {
      co_return problem_response(req,
                                 {400, ptype::invalid_header, "Invalid Header", *problem, ""});
    }
    idempotency_key = value;
  }
  auto parsed = proto::parse_publish_request(req.body());
  if (auto* error = std::get_if<proto::PublishRequestError>(&parsed)) {
    if (error->invalid_json) {
      co_return problem_response(req,
                                 {400, ptype::invalid_json, "Invalid JSON", error->detail, ""});
    }
    const auto detail = error->pointer.empty()
                            ? error->detail
                            : fmt::format("{} {}", error->pointer.substr(1), error->detail);
    co_return problem_response(
        req, {400, ptype::invalid_field, "Invalid Field", detail, error->pointer});
  }
  if (auto refused = admit(req, producer, 1)) co_return std::move(*refused);
  auto outcome = co_await ingest_.publish(std::move(std::get<proto::PublishRequest>(parsed)),
                                          std::move(context), std::move(idempotency_key));
  if (const auto* refused = std::get_if<service::IngestRejection>(&outcome)) {
    co_return refusal_response(req, refused->reason,
                               refused->reason == error::draining
                                   ? "the relay is shutting down; publish "
                                     "to another replica"
                                   : refused->detail);
  }
  std::string body;
  proto::JsonObjectWriter(body)
      .string("id", std::get<domain::EventId>(outcome).to_string())
      .close();
  co_return json_response(req, http::status::accepted, std::move(body));
}

}  // namespace relay::infra
