#include "infra/routes/api_routes.hpp"

#include <algorithm>
#include <variant>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/pct_string_view.hpp>

#include <fmt/format.h>

#include "infra/http/error_responses.hpp"
#include "infra/http/http_responses.hpp"
#include "infra/routes/ingest_span.hpp"
#include "infra/routes/stats_report.hpp"
#include "infra/auth/subscriber_auth.hpp"
#include "infra/routes/web_assets.hpp"
#include "proto/json_writer.hpp"
#include "proto/publish_request.hpp"
#include "proto/traceparent.hpp"

// GCC 12 at -O2 inlines Asio's awaitable frame allocator (thread_info_base::allocate ->
// aligned_new) into ApiRoutes::ingest and then reports the frame's matching operator delete
// as mismatched: a false positive of that compiler, not a bug here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace relay::infra {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

namespace {

// Constant-time equality: the loop runs over the whole expected token whatever the input.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff |= static_cast<unsigned char>(g ^ expected[i]);
  }
  return diff == 0;
}

// Methods allowed on each known path, for 405 answers.
std::string_view allowed_methods(std::string_view path) {
  if (path == route::publish || path == route::domain_events) return "POST, OPTIONS";
  if (path == route::workers || path.starts_with(route::worker_prefix)) {
    return "GET, HEAD, OPTIONS";
  }
  if (path == route::stream || path == route::stats || path == route::metrics ||
      path == route::healthz || path == route::readyz || find_web_asset(path) != nullptr) {
    return "GET, HEAD, OPTIONS";
  }
  return {};
}

}  // namespace

std::optional<Response> ApiRoutes::check_publisher(const Request& req) const {
  auto identified = identify_publisher(req, {});
  if (auto* refused = std::get_if<Response>(&identified)) return std::move(*refused);
  return std::nullopt;
}

std::variant<std::string, Response> ApiRoutes::identify_publisher(const Request& req,
                                                                  std::string_view client) const {
  const auto by_address = fmt::format("address {}", client);
  const bool static_token = !config_.publish_token.empty();
  if (!static_token && !config_.auth.enabled()) return by_address;
  const auto given = bearer_token(req);
  const bool bearer = given.has_value();
  const auto token = given.value_or(std::string_view{});
  // The static token is one producer, wherever its holders connect from.
  if (static_token && bearer && same_secret(token, config_.publish_token)) {
    return std::string("publish token");
  }
  std::string detail = bearer ? "the bearer token is not valid"
                              : "this relay requires Authorization: Bearer <token> to publish";
  if (config_.auth.enabled() && bearer) {
    auto verified = config_.auth.verifier->verify(
        token, static_cast<std::int64_t>(relay_.clock().now_unix_ms() / 1000));
    if (const auto* claims = std::get_if<proto::JwtClaims>(&verified)) {
      const auto& scopes = claims->scopes;
      if (std::find(scopes.begin(), scopes.end(), SubscriberAuthConfig::publish_scope) !=
          scopes.end()) {
        // Its subject, verified with the signature; a token without one is its address.
        return claims->sub.empty() ? by_address : fmt::format("subject {}", claims->sub);
      }
      return forbidden(req, fmt::format("the token lacks the {} scope needed to publish",
                                        SubscriberAuthConfig::publish_scope));
    }
    // A static token that did not match is also "not a JWT": say what a JWT would need.
    if (!static_token) detail = std::get<JwtRejection>(verified).detail;
  }
  auto res = problem_response(req, {401, ptype::unauthorized, "Unauthorized", detail, ""});
  res.set(http::field::www_authenticate,
          bearer ? R"(Bearer realm="sse-relay", error="invalid_token")" : R"(Bearer realm="sse-relay")");
  return res;
}

asio::awaitable<Response> ApiRoutes::handle(const Request& req, std::string_view client) {
  Response res = co_await dispatch(req, client);
  apply_cors(req, config_.cors_origins, res);
  if (req.method() == http::verb::head) {
    // The head GET would send, Content-Length included, and no body (RFC 9110 9.3.2).
    const auto length = res.body().size();
    res.body().clear();
    res.content_length(length);
  }
  co_return res;
}

asio::awaitable<Response> ApiRoutes::dispatch(const Request& req, std::string_view client) {
  const auto path = target_path(req.target());
  const auto method = req.method();
  if (method == http::verb::post && (path == route::publish || path == route::domain_events)) {
    co_return co_await ingest(req, path == route::publish ? route::publish : route::domain_events,
                              client);
  }
  if (auto res = read(req, path, client)) co_return std::move(*res);
  if (auto allow = allowed_methods(path); !allow.empty()) {
    auto res =
        problem_response(req, {405, ptype::method_not_allowed, "Method Not Allowed",
                               // A method is a short token; a long one is not echoed back whole.
                               fmt::format("{} does not accept {}", path,
                                           std::string_view(req.method_string()).substr(0, 32)),
                               ""});
    res.set(http::field::allow, allow);
    co_return res;
  }
  co_return problem_response(
      req, {404, ptype::not_found, "Not Found", fmt::format("no route for {}", path), ""});
}

std::optional<Response> ApiRoutes::read(const Request& req, std::string_view path,
                                        std::string_view client) {
  const auto method = req.method();

  if (method == http::verb::options && !allowed_methods(path).empty()) {
    Response res = make_response(req, http::status::no_content, "text/plain", "");
    res.set(http::field::allow, allowed_methods(path));
    if (!allowed_origin(req, config_.cors_origins).empty()) {
      res.set(http::field::access_control_allow_methods, allowed_methods(path));
      res.set(http::field::access_control_allow_headers,
              "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, traceparent, tracestate");
      res.set(http::field::access_control_max_age, "600");
    }
    return res;
  }

  if (method == http::verb::head && path == route::stream) {
    // What a stream would answer, without opening one: a token is asked for here too.
    auto authorized = authorize(req, config_.auth, static_cast<std::int64_t>(relay_.clock().now_unix_ms()));
    if (auto* refused = std::get_if<Response>(&authorized)) return std::move(*refused);
    auto res = make_response(req, http::status::ok, "text/event-stream", "");
    res.set(http::field::cache_control, "no-cache");
    return res;
  }
  if (method == http::verb::get || method == http::verb::head) {
    if (path == route::healthz) return json_response(req, http::status::ok, R"({"status":"ok"})");
    if (path == route::readyz) return readiness(req);
    if (path == route::stats) {
      return json_response(req, http::status::ok, stats_json(relay_, ingest_, bus_));
    }
    if (path == route::metrics) {
      return make_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                           metrics_.render());
    }
    if (path == route::workers) return read_workers(req, "", client);
    if (path.starts_with(route::worker_prefix) && path.size() > route::worker_prefix.size()) {
      // A worker id may hold any printable character; '/', '?', '%' and spaces arrive
      // percent-encoded (encodeURIComponent), so the segment is decoded before the lookup.
      auto id = boost::urls::make_pct_string_view(path.substr(route::worker_prefix.size()));
      if (id.has_error() || id->decoded_size() == 0) {
        return problem_response(
            req, {400, ptype::bad_request, "Bad Request",
                  "the worker id in the path is not a valid percent-encoded segment", ""});
      }
      return read_workers(req, id->decode(), client);
    }
    if (const auto* asset = find_web_asset(path)) {
      auto res =
          make_response(req, http::status::ok, asset->content_type, std::string(asset->body));
      // Revalidate on every load, so a relay upgrade is never met by a stale client.
      res.set(http::field::cache_control, "no-cache");
      if (asset->content_type.starts_with("text/html")) {
        // The dashboard loads only its own scripts, styles and streams, and is never framed.
        res.set("Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      }
      return res;
    }
  }
  return std::nullopt;
}

Response ApiRoutes::read_workers(const Request& req, std::string_view worker_id,
                                 std::string_view client) {
  if (client.empty()) return workers_.read(req, worker_id, nullptr);
  auto authorized =
      authorize(req, config_.auth, static_cast<std::int64_t>(relay_.clock().now_unix_ms()));
  if (auto* refused = std::get_if<Response>(&authorized)) return std::move(*refused);
  const auto& grant = std::get<std::optional<SubscriberGrant>>(authorized);
  return workers_.read(req, worker_id, grant ? &*grant : nullptr);
}

Response ApiRoutes::readiness(const Request& req) const {
  if (relay_.stopping()) {
    return json_response(req, http::status::service_unavailable, R"({"status":"draining"})");
  }
  if (const auto health = log_.health(); !health.ready) {
    std::string body;
    proto::JsonObjectWriter(body)
        .string("status", "unavailable")
        .string("detail", health.detail)
        .close();
    return json_response(req, http::status::service_unavailable, std::move(body));
  }
  return json_response(req, http::status::ok, R"({"status":"ready"})");
}

std::optional<Response> ApiRoutes::admit(const Request& req, const std::string& producer,
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

asio::awaitable<Response> ApiRoutes::ingest(const Request& req, std::string_view route,
                                            std::string_view client) {
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
                                   : identify_publisher(req, client);
  if (auto* denied = std::get_if<Response>(&identified)) {
    res = std::move(*denied);
  } else if (route == route::publish) {
    res = co_await publish(req, std::move(context), std::get<std::string>(identified));
  } else {
    auto admit_events = [this, &req, producer = std::get<std::string>(identified)](
                            std::size_t events) { return admit(req, producer, events); };
    res = co_await workers_.ingest(req, std::move(context), admit_events);
  }
  const auto status = res.result_int();
  metrics_.count_ingest_request(route, status);
  const auto trace_id = log_trace_id(span, producer);
  if (status >= 400) {
    logger_.info("ingest rejected",
                 {{"route", route}, {"status", status}, {"detail", std::string_view(res.body())}},
                 trace_id);
  } else {
    logger_.debug("ingest accepted", {{"route", route}, {"status", status}}, trace_id);
  }
  finish_ingest_span(span, res);
  co_return res;
}

asio::awaitable<Response> ApiRoutes::publish(const Request& req, service::IngestContext context,
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
