#include "infra/routes/read_routes.hpp"

#include <variant>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/pct_string_view.hpp>

#include "infra/auth/subscriber_auth.hpp"
#include "infra/http/http_responses.hpp"
#include "infra/routes/route_table.hpp"
#include "infra/routes/stats_report.hpp"
#include "infra/routes/web_assets.hpp"
#include "proto/json_writer.hpp"

namespace relay::infra {

namespace http = boost::beast::http;
namespace ptype = proto::problem_type;

std::optional<Response> ReadRoutes::handle(const Request& req, std::string_view path,
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
    auto authorized = authorize(req, config_.auth, relay_.clock());
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

Response ReadRoutes::read_workers(const Request& req, std::string_view worker_id,
                                  std::string_view client) {
  if (client.empty()) return workers_.read(req, worker_id, nullptr);
  auto authorized =
      authorize(req, config_.auth, relay_.clock());
  if (auto* refused = std::get_if<Response>(&authorized)) return std::move(*refused);
  const auto& grant = std::get<std::optional<SubscriberGrant>>(authorized);
  return workers_.read(req, worker_id, grant ? &*grant : nullptr);
}

Response ReadRoutes::readiness(const Request& req) const {
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

}  // namespace relay::infra
